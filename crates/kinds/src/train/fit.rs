//! The model's fit to the data, written once: [`fit`] checks the model's input channels, classes
//! and (for the demonet patch and the linear baseline) image size against a [`DataShape`], known
//! from the config for the standard sets ([`DataShape::from_spec`], before any run starts) and
//! from the files for a folder ([`DataShape::of`], once they are read).

use training::data::{DataName, DataSpec, Dataset};

use super::model::ModelConfig;
use crate::field_error::FieldError;

/// What the model must fit: the data set's channels, classes and image side, where known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataShape {
    pub name: DataName,
    pub channels: Option<i64>,
    pub classes: Option<i64>,
    pub side: Option<i64>,
}

impl DataShape {
    /// From `[data]` alone: the standard sets' shapes (with `channels` and `image_size` applied);
    /// a folder's channels and classes depend on its files.
    pub fn from_spec(data: &DataSpec) -> DataShape {
        let native = match data.name {
            DataName::FashionMnist | DataName::Mnist => Some((1, 10, 28)),
            DataName::Cifar10 => Some((3, 10, 32)),
            DataName::Folder | DataName::Moons | DataName::Mnist1d => None,
        };
        DataShape {
            name: data.name,
            channels: native.map(|n| data.channels.unwrap_or(n.0)),
            classes: native.map(|n| n.1),
            side: data.image_size.or(native.map(|n| n.2)),
        }
    }

    /// From a loaded data set.
    pub fn of(data: &Dataset) -> DataShape {
        DataShape {
            name: data.name,
            channels: Some(data.channels),
            classes: Some(data.num_classes),
            side: Some(data.image_size),
        }
    }
}

/// An error naming the `[model]` field that does not fit the data.
pub fn fit(model: &ModelConfig, data: &DataShape) -> Result<(), FieldError> {
    let name = data.name;
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
}
