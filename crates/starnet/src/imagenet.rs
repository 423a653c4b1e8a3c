//! The 1000 ImageNet-1k classes in timm's index order (synset id and lemmas), generated from timm's
//! `timm/data/_info` by `scripts/starnet_fixtures.py --class-names` and compiled in.

use std::sync::OnceLock;

const CLASSES_TXT: &str = include_str!("../data/imagenet_classes.txt");

/// One ImageNet class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    /// WordNet synset id, e.g. `n01440764`.
    pub synset: &'static str,
    /// Human-readable lemmas, e.g. `tench, Tinca tinca`.
    pub name: &'static str,
}

/// All 1000 classes; index = the logit index of an ImageNet-1k classifier.
pub fn classes() -> &'static [Class] {
    static CLASSES: OnceLock<Vec<Class>> = OnceLock::new();
    CLASSES.get_or_init(|| {
        CLASSES_TXT
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (synset, name) = l
                    .split_once('\t')
                    .expect("data/imagenet_classes.txt: synset<TAB>name lines");
                Class { synset, name }
            })
            .collect()
    })
}
