//! Data for a run: loaded once per process and shared by a sweep's runs, then put on the device.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use anyhow::Result;
use training::data::{DataSpec, Dataset, Split};

/// The training, validation (if any) and test splits on `device` (shallow copies on the CPU).
pub fn on_device(data: &Dataset, device: tch::Device) -> (Split, Option<Split>, Split) {
    (
        data.train.to_device(device),
        data.val.as_ref().map(|v| v.to_device(device)),
        data.test.to_device(device),
    )
}

/// Data sets stay loaded for the life of the process: a sweep's runs share one `[data]`.
pub fn load_cached(spec: &DataSpec) -> Result<Dataset> {
    static CACHE: OnceLock<Mutex<HashMap<String, Dataset>>> = OnceLock::new();
    let key = serde_json::to_string(spec)?;
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !cache.contains_key(&key) {
        let data = training::data::load(spec).map_err(|e| anyhow::anyhow!("[data]: {e}"))?;
        cache.insert(key.clone(), data);
    }
    Ok(shallow(&cache[&key]))
}

fn shallow(d: &Dataset) -> Dataset {
    let split = |s: &Split| Split {
        x: s.x.shallow_clone(),
        y: s.y.shallow_clone(),
        num_classes: s.num_classes,
    };
    Dataset {
        name: d.name,
        train: split(&d.train),
        val: d.val.as_ref().map(split),
        test: split(&d.test),
        num_classes: d.num_classes,
        channels: d.channels,
        image_size: d.image_size,
        class_names: d.class_names.clone(),
        origin: d.origin.clone(),
        normalize: d.normalize.clone(),
        augment: d.augment,
    }
}
