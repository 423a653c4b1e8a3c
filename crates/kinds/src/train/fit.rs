//! The model's fit to the data, written once: [`fit`] checks the model's input channels, classes
//! and (for the demonet patch and the linear baseline) image size against a [`DataShape`], known
//! from the config for the standard sets ([`DataShape::from_spec`], before any run starts) and
//! from the files for a folder ([`DataShape::of`], once they are read). For 1-D signals it checks
//! that the model reads signals, and the signal length each needs.

use training::data::{DataName, DataSpec, Dataset, InputShape};

use super::model::ModelConfig;
use crate::field_error::FieldError;

/// What the model must fit: the data set's channels, classes and image side (or, for 1-D signals,
/// their length), where known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataShape {
    pub name: DataName,
    pub channels: Option<i64>,
    pub classes: Option<i64>,
    pub side: Option<i64>,
    /// The length of 1-D signals; `None` for images.
    pub length: Option<i64>,
}

/// MNIST-1D as its generator's default arguments make it: one channel, ten classes, length 40.
const MNIST1D: (i64, i64, i64) = (1, training::data::mnist1d::NUM_CLASSES, 40);

impl DataShape {
    /// From `[data]` alone: the standard sets' shapes (with `channels` and `image_size` applied);
    /// a folder's channels and classes depend on its files.
    pub fn from_spec(data: &DataSpec) -> DataShape {
        let native = match data.name {
            DataName::FashionMnist | DataName::Mnist => Some((1, 10, 28)),
            DataName::Cifar10 => Some((3, 10, 32)),
            DataName::Folder | DataName::Moons | DataName::Mnist1d => None,
        };
        if data.name == DataName::Mnist1d {
            let (channels, classes, length) = MNIST1D;
            return DataShape {
                name: data.name,
                channels: Some(channels),
                classes: Some(classes),
                side: None,
                length: Some(length),
            };
        }
        DataShape {
            name: data.name,
            channels: native.map(|n| data.channels.unwrap_or(n.0)),
            classes: native.map(|n| n.1),
            side: data.image_size.or(native.map(|n| n.2)),
            length: None,
        }
    }

    /// From a loaded data set.
    pub fn of(data: &Dataset) -> DataShape {
        let (side, length) = match data.shape() {
            InputShape::Image { size, .. } => (Some(size), None),
            InputShape::Signal { length, .. } => (None, Some(length)),
            InputShape::Features { .. } => (None, None),
        };
        DataShape {
            name: data.name,
            channels: Some(data.channels),
            classes: Some(data.num_classes),
            side,
            length,
        }
    }
}

/// The length a signal model needs, as (field, value), when it is fixed by the config.
fn needed_length(model: &ModelConfig) -> Option<(&'static str, i64)> {
    match model {
        ModelConfig::Linear(c) => c.length.map(|l| ("length", l)),
        ModelConfig::Mlp1d(c) => Some(("input_size", c.input_size)),
        ModelConfig::Cnn1d(c) => Some(("length", c.length)),
        _ => None,
    }
}

/// Images into an image model, signals into a signal model, each of the length it needs.
fn fit_signals(model: &ModelConfig, data: &DataShape) -> Result<(), FieldError> {
    let name = data.name;
    match (data.length, model.reads_signals()) {
        (Some(len), false) => {
            let hint = if matches!(model, ModelConfig::Linear(_)) {
                format!("set model.length = {len}")
            } else {
                "use arch = \"demonet1d\", \"mlp1d\", \"cnn1d\" or \"linear\" with `length`".to_string()
            };
            Err(FieldError::new(
                "model",
                Some("arch"),
                format!(
                    "this model reads images, but [data] {name} gives 1-D signals of length {len}: {hint}"
                ),
            ))
        }
        (None, true) if data.side.is_some() => Err(FieldError::new(
            "model",
            Some("arch"),
            format!("this model reads 1-D signals, but [data] {name} gives images"),
        )),
        (Some(len), true) => {
            if let ModelConfig::Demonet1d(c) = model
                && c.patch > len
            {
                return Err(FieldError::new(
                    "model",
                    Some("patch"),
                    format!(
                        "`patch` = {} is longer than the signals of [data] {name} ({len})",
                        c.patch
                    ),
                ));
            }
            match needed_length(model) {
                Some((field, want)) if want != len => Err(FieldError::new(
                    "model",
                    Some(field),
                    format!(
                        "`{field}` = {want} but [data] {name} gives signals of length {len}; set model.{field} = {len}"
                    ),
                )),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// An error naming the `[model]` field that does not fit the data.
pub fn fit(model: &ModelConfig, data: &DataShape) -> Result<(), FieldError> {
    let name = data.name;
    fit_signals(model, data)?;
    if let (ModelConfig::Demonet(c), Some(side)) = (model, data.side)
        && c.patch > side
    {
        return Err(FieldError::new(
            "model",
            Some("patch"),
            format!(
                "`patch` = {} is larger than the {side} px images of [data]",
                c.patch
            ),
        ));
    }
    if let Some(channels) = data.channels
        && model.in_chans() != channels
    {
        return Err(FieldError::new(
            "model",
            Some("in_chans"),
            format!(
                "`in_chans` = {} but [data] {name} gives {channels} channel(s); set model.in_chans = {channels} \
                 (or data.channels)",
                model.in_chans()
            ),
        ));
    }
    if let Some(classes) = data.classes
        && model.num_classes() != classes
    {
        return Err(FieldError::new(
            "model",
            Some("num_classes"),
            format!(
                "`num_classes` = {} but [data] {name} has {classes} classes; set model.num_classes = {classes}",
                model.num_classes()
            ),
        ));
    }
    if let (ModelConfig::Linear(c), Some(side)) = (model, data.side)
        && c.length.is_none()
        && c.image_size != side
    {
        return Err(FieldError::new(
            "model",
            Some("image_size"),
            format!(
                "`image_size` = {} but [data] {name} gives {side} px images; set model.image_size = {side}",
                c.image_size
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_sets_are_checked_from_the_config_and_folders_once_read() {
        let fashion = DataShape::from_spec(&DataSpec::default());
        assert_eq!(
            (fashion.channels, fashion.classes, fashion.side),
            (Some(1), Some(10), Some(28))
        );
        let model = ModelConfig::Demonet(demonet::Config::default());
        let e = fit(&model, &fashion).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("in_chans"));
        let folder = DataShape::from_spec(&DataSpec {
            name: DataName::Folder,
            ..DataSpec::default()
        });
        assert_eq!(fit(&model, &folder), Ok(()), "unknown until the files are read");
        let read = DataShape {
            channels: Some(3),
            classes: Some(7),
            side: Some(64),
            ..folder
        };
        let e = fit(&model, &read).unwrap_err();
        assert!(e.message.contains("has 7 classes"), "{}", e.message);
        let linear = ModelConfig::Linear(demonet::LinearConfig::default());
        let e = fit(
            &linear,
            &DataShape {
                side: Some(32),
                ..fashion
            },
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("image_size"));
    }

    #[test]
    fn signals_go_to_signal_models_of_their_length() {
        let signals = DataShape::from_spec(&DataSpec {
            name: DataName::Mnist1d,
            ..DataSpec::default()
        });
        assert_eq!(
            (signals.channels, signals.classes, signals.side, signals.length),
            (Some(1), Some(10), None, Some(40))
        );
        let demonet1d = |patch| {
            ModelConfig::Demonet1d(demonet::Config {
                patch,
                in_chans: 1,
                num_classes: 10,
                ..demonet::Config::default()
            })
        };
        let fitting = [
            demonet1d(4),
            ModelConfig::Mlp1d(demonet::Mlp1dConfig::default()),
            ModelConfig::Cnn1d(demonet::Cnn1dConfig::default()),
            ModelConfig::Linear(demonet::LinearConfig {
                length: Some(40),
                ..demonet::LinearConfig::default()
            }),
        ];
        for model in &fitting {
            assert_eq!(fit(model, &signals), Ok(()), "{model:?}");
        }
        let wrong = |model: &ModelConfig, data: &DataShape| fit(model, data).unwrap_err();
        let e = wrong(&demonet1d(41), &signals);
        assert_eq!(e.field.as_deref(), Some("patch"));
        // An image model on signals names the signal models; the linear one is told its length.
        let e = wrong(
            &ModelConfig::Demonet(demonet::Config::fashion_mnist(8, demonet::Mode::Star)),
            &signals,
        );
        assert_eq!(e.field.as_deref(), Some("arch"));
        assert!(
            e.message.contains("demonet1d") && e.message.contains("length 40"),
            "{}",
            e.message
        );
        let e = wrong(&ModelConfig::Linear(demonet::LinearConfig::default()), &signals);
        assert!(e.message.contains("set model.length = 40"), "{}", e.message);
        // A length that is not the data's is named by its field.
        let e = wrong(
            &ModelConfig::Mlp1d(demonet::Mlp1dConfig {
                input_size: 50,
                ..demonet::Mlp1dConfig::default()
            }),
            &signals,
        );
        assert_eq!(e.field.as_deref(), Some("input_size"));
        let e = wrong(
            &ModelConfig::Cnn1d(demonet::Cnn1dConfig {
                length: 20,
                ..demonet::Cnn1dConfig::default()
            }),
            &signals,
        );
        assert!(e.message.contains("set model.length = 40"), "{}", e.message);
        // And signal models on images are refused.
        let fashion = DataShape::from_spec(&DataSpec::default());
        for model in &fitting {
            assert_eq!(wrong(model, &fashion).field.as_deref(), Some("arch"), "{model:?}");
        }
    }
}
