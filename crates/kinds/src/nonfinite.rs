//! Metrics that may be NaN or infinite (a diverged run is a result), stored so that every record
//! parses: finite values as JSON numbers, the others as the strings `"NaN"`, `"inf"`, `"-inf"`.
//! (serde_json would write them as `null` and then refuse to read `null` back as a number.)
//! Reading also accepts `null` as NaN, for records written before this encoding.
//!
//! Use with `#[serde(with = "crate::nonfinite::map")]` (and `value`, `option`, `maps`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// One metric value with the encoding above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric(pub f64);

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Metric;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Metric, E> {
                Ok(Metric(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Metric, E> {
                Ok(Metric(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Metric, E> {
                Ok(Metric(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Metric, E> {
                match v.to_ascii_lowercase().as_str() {
                    "nan" => Ok(Metric(f64::NAN)),
                    "inf" | "+inf" | "infinity" => Ok(Metric(f64::INFINITY)),
                    "-inf" | "-infinity" => Ok(Metric(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E>(self) -> Result<Metric, E> {
                Ok(Metric(f64::NAN))
            }
            fn visit_none<E>(self) -> Result<Metric, E> {
                Ok(Metric(f64::NAN))
            }
        }
        d.deserialize_any(V)
    }
}

pub mod value {
    use super::*;
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Metric(*v).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Metric::deserialize(d).map(|m| m.0)
    }
}

pub mod option {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Metric).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        // `null` was NaN in older records, but here it is also "none": keep it none.
        Option::<Metric>::deserialize(d).map(|m| m.map(|m| m.0))
    }
}

pub mod map {
    use super::*;
    pub fn serialize<S: Serializer>(m: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (k, Metric(*v))))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        let m = BTreeMap::<String, Metric>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

pub mod maps {
    use super::*;
    struct One<'a>(&'a BTreeMap<String, f64>);
    impl Serialize for One<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::map::serialize(self.0, s)
        }
    }
    pub fn serialize<S: Serializer>(v: &[BTreeMap<String, f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(One))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<BTreeMap<String, f64>>, D::Error> {
        let v = Vec::<BTreeMap<String, Metric>>::deserialize(d)?;
        Ok(v.into_iter()
            .map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct R {
        #[serde(with = "map")]
        m: BTreeMap<String, f64>,
        #[serde(with = "maps")]
        e: Vec<BTreeMap<String, f64>>,
        #[serde(with = "option")]
        o: Option<f64>,
    }

    #[test]
    fn non_finite_values_round_trip_as_strings() {
        let m = BTreeMap::from([
            ("loss".to_string(), f64::NAN),
            ("top1".to_string(), 0.5),
            ("up".to_string(), f64::INFINITY),
            ("down".to_string(), f64::NEG_INFINITY),
        ]);
        let r = R {
            m: m.clone(),
            e: vec![m],
            o: Some(f64::NAN),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains(r#""loss":"NaN""#) && text.contains(r#""up":"inf""#),
            "{text}"
        );
        assert!(
            text.contains(r#""down":"-inf""#) && text.contains(r#""top1":0.5"#),
            "{text}"
        );
        let back: R = serde_json::from_str(&text).unwrap();
        assert!(back.m["loss"].is_nan() && back.e[0]["loss"].is_nan() && back.o.unwrap().is_nan());
        assert_eq!(back.m["up"], f64::INFINITY);
        assert_eq!(back.m["down"], f64::NEG_INFINITY);
        assert_eq!(back.m["top1"], 0.5);
    }

    #[test]
    fn null_from_older_records_reads_as_nan_and_junk_is_an_error() {
        let r: R = serde_json::from_str(r#"{"m": {"loss": null}, "e": [], "o": null}"#).unwrap();
        assert!(r.m["loss"].is_nan());
        assert_eq!(r.o, None);
        let err = serde_json::from_str::<R>(r#"{"m": {"loss": "lots"}, "e": [], "o": null}"#).unwrap_err();
        assert!(err.to_string().contains("lots"), "{err}");
    }
}
