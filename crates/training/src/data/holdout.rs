//! What `[data]` holds out and how it is seeded: [`ValSize`] (the validation split taken from the
//! training data) and [`DataSeed`] (a fixed seed, or the run's training seed).
//!
//! Both read from TOML as plain values (`val_size = 2000` or `0.1`, `seed = 3` or `"train"`), with
//! their own deserialisers so that a wrong value is reported with the accepted forms; and the
//! stratified, seeded draws themselves ([`stratified_indices`]).

use std::collections::BTreeMap;
use std::fmt;

use rand::seq::SliceRandom;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tch::Tensor;

use super::error::{DataError, Result as DataResult};
use super::{Split, Stream, rng};

/// How much of the training split is held out for validation (model selection), as scikit-learn's
/// `test_size`: an integer is a number of samples, a float in [0, 1) a fraction of the training
/// split as loaded (before `train_subset`). `0` holds out nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValSize {
    Count(usize),
    Fraction(f64),
}

impl ValSize {
    /// No validation split.
    pub const NONE: ValSize = ValSize::Count(0);

    /// The number of samples held out of `n` (a fraction is rounded to the nearest sample).
    pub fn of(self, n: usize) -> usize {
        match self {
            ValSize::Count(c) => c,
            ValSize::Fraction(f) => (f * n as f64).round() as usize,
        }
    }

    pub fn is_none(self) -> bool {
        matches!(self, ValSize::Count(0)) || self == ValSize::Fraction(0.0)
    }
}

impl fmt::Display for ValSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValSize::Count(c) => write!(f, "{c}"),
            ValSize::Fraction(x) => write!(f, "{x}"),
        }
    }
}

impl Serialize for ValSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            ValSize::Count(c) => s.serialize_u64(c as u64),
            ValSize::Fraction(f) => s.serialize_f64(f),
        }
    }
}

impl<'de> Deserialize<'de> for ValSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ValSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of samples (e.g. 2000) or a fraction of the training split in [0, 1) (e.g. 0.1)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ValSize, E> {
                Ok(ValSize::Count(v as usize))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ValSize, E> {
                u64::try_from(v)
                    .map(|v| ValSize::Count(v as usize))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValSize, E> {
                if (0.0..1.0).contains(&v) {
                    Ok(ValSize::Fraction(v))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Seeds what `[data]` draws (the subsets, the validation split, the moons): a fixed number, or
/// `"train"`, the run's `train.seed`, so that each training seed also draws its own subset (runs
/// that share a seed, e.g. a sum/star pair, share their data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSeed {
    Fixed(u64),
    Train,
}

impl DataSeed {
    /// The seed this resolves to for a run with training seed `train_seed`.
    pub fn resolve(self, train_seed: u64) -> u64 {
        match self {
            DataSeed::Fixed(s) => s,
            DataSeed::Train => train_seed,
        }
    }
}

impl Serialize for DataSeed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            DataSeed::Fixed(v) => s.serialize_u64(v),
            DataSeed::Train => s.serialize_str("train"),
        }
    }
}

impl<'de> Deserialize<'de> for DataSeed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DataSeed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a seed (an integer >= 0) or \"train\" (use train.seed)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DataSeed, E> {
                Ok(DataSeed::Fixed(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DataSeed, E> {
                u64::try_from(v)
                    .map(DataSeed::Fixed)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DataSeed, E> {
                match v {
                    "train" => Ok(DataSeed::Train),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `n` of `split`'s samples, stratified by class (see [`stratified_indices`]).
pub(crate) fn subset(
    split: Split,
    n: Option<usize>,
    seed: u64,
    which: u64,
    field: &'static str,
) -> DataResult<Split> {
    let Some(n) = n else { return Ok(split) };
    let len = split.len() as usize;
    if n == 0 || n > len {
        return Err(DataError::spec(
            field,
            format!("{n} is not between 1 and the split's {len} samples"),
        ));
    }
    let labels = Vec::<i64>::try_from(&split.y).map_err(|e| DataError::spec(field, e.to_string()))?;
    let index = stratified_indices(&labels, n, seed, which);
    Ok(split.select(&Tensor::from_slice(&index)))
}

/// Splits `split` into (training, validation): `size` samples stratified by class, drawn with
/// the subsets' shuffle under its own stream, so `val_size = 0` leaves the training subset as it
/// was without a validation split.
pub(crate) fn holdout(split: Split, size: ValSize, seed: u64) -> DataResult<(Split, Option<Split>)> {
    let len = split.len() as usize;
    let n = size.of(len);
    if n == 0 {
        return Ok((split, None));
    }
    if n >= len {
        return Err(DataError::spec(
            "val_size",
            format!(
                "{size} would hold out {n} of the training split's {len} samples, leaving none to train on"
            ),
        ));
    }
    let labels = Vec::<i64>::try_from(&split.y).map_err(|e| DataError::spec("val_size", e.to_string()))?;
    let val = stratified_indices(&labels, n, seed, 2);
    let mut is_val = vec![false; len];
    for &i in &val {
        is_val[i as usize] = true;
    }
    let rest: Vec<i64> = (0..len as i64).filter(|&i| !is_val[i as usize]).collect();
    let pick = |index: &[i64]| split.select(&Tensor::from_slice(index));
    Ok((pick(&rest), Some(pick(&val))))
}

/// `n` indices into `labels`, every class contributing equally (+-1) while it has samples left,
/// chosen by a shuffle seeded from `(seed, which)`; returned in ascending order.
///
/// After the shuffle, each sample is ranked within its class; samples are taken by rank (all
/// classes' first, then all classes' second, ...) and, within a rank, in shuffled order.
pub fn stratified_indices(labels: &[i64], n: usize, seed: u64, which: u64) -> Vec<i64> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.shuffle(&mut rng(seed, Stream::Subset, which, 0));
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    let mut keyed: Vec<(usize, usize, usize)> = order
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let rank = seen.entry(labels[i]).or_insert(0);
            *rank += 1;
            (*rank, pos, i)
        })
        .collect();
    keyed.sort_unstable();
    let mut chosen: Vec<i64> = keyed.into_iter().take(n).map(|(_, _, i)| i as i64).collect();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct T {
        v: ValSize,
        s: DataSeed,
    }

    #[test]
    fn integers_count_floats_are_fractions_and_train_follows_the_seed() {
        let t: T = toml::from_str("v = 2000\ns = \"train\"").unwrap();
        assert_eq!((t.v, t.s), (ValSize::Count(2000), DataSeed::Train));
        assert_eq!((t.v.of(60_000), t.s.resolve(7)), (2000, 7));
        let t: T = toml::from_str("v = 0.1\ns = 3").unwrap();
        assert_eq!((t.v, t.s), (ValSize::Fraction(0.1), DataSeed::Fixed(3)));
        // 0.1 of 60,000 is 6,000; 0.25 of 10 is 2.5, rounded to 3 (away from zero)
        assert_eq!(
            (t.v.of(60_000), ValSize::Fraction(0.25).of(10), t.s.resolve(7)),
            (6000, 3, 3)
        );
        assert!(ValSize::NONE.is_none() && ValSize::Fraction(0.0).is_none());
        // JSON (run records, canonical configs) keeps the forms apart
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"v":0.1,"s":3}"#);
        let back: T = serde_json::from_str(r#"{"v":500,"s":"train"}"#).unwrap();
        assert_eq!((back.v, back.s), (ValSize::Count(500), DataSeed::Train));
    }

    #[test]
    fn wrong_values_name_the_accepted_forms() {
        for (text, want) in [
            ("v = 1.5\ns = 0", "fraction of the training split in [0, 1)"),
            ("v = -3\ns = 0", "a number of samples"),
            ("v = 1\ns = \"trian\"", "\"train\" (use train.seed)"),
            ("v = 1\ns = -1", "an integer >= 0"),
        ] {
            let err = toml::from_str::<T>(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
