//! The HParams dashboard's data: what a sweep varies and measures ([`Experiment`], written once in
//! the root run) and each run's values ([`SessionStart`]) and outcome ([`SessionStatus`]).
//!
//! TensorBoard reads them as summaries of the `hparams` plugin whose metadata holds an
//! [`HParamsPluginData`](crate::proto::HParamsPluginData); a run directory under the root with a
//! session start is one session, and a metric is a scalar tag of that run.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail, ensure};

use crate::proto::{self, hparam_info, value::Kind};

/// The plugin name in `SummaryMetadata.plugin_data` (`metadata.PLUGIN_NAME`).
pub const PLUGIN_NAME: &str = "hparams";
/// `metadata.PLUGIN_DATA_VERSION`.
pub const PLUGIN_DATA_VERSION: i32 = 0;
/// The summary tags the plugin looks for (`metadata.*_TAG`).
pub const EXPERIMENT_TAG: &str = "_hparams_/experiment";
pub const SESSION_START_INFO_TAG: &str = "_hparams_/session_start_info";
pub const SESSION_END_INFO_TAG: &str = "_hparams_/session_end_info";

/// One hyperparameter's value, as the table shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum HParamValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

impl HParamValue {
    fn data_type(&self) -> proto::DataType {
        match self {
            HParamValue::Number(_) => proto::DataType::Float64,
            HParamValue::Text(_) => proto::DataType::String,
            HParamValue::Bool(_) => proto::DataType::Bool,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            HParamValue::Number(_) => "number",
            HParamValue::Text(_) => "string",
            HParamValue::Bool(_) => "bool",
        }
    }

    fn to_proto(&self) -> proto::Value {
        let kind = match self {
            HParamValue::Number(x) => Kind::NumberValue(*x),
            HParamValue::Text(s) => Kind::StringValue(s.clone()),
            HParamValue::Bool(b) => Kind::BoolValue(*b),
        };
        proto::Value { kind: Some(kind) }
    }
}

impl From<f64> for HParamValue {
    fn from(x: f64) -> Self {
        HParamValue::Number(x)
    }
}

impl From<i64> for HParamValue {
    fn from(x: i64) -> Self {
        HParamValue::Number(x as f64)
    }
}

impl From<bool> for HParamValue {
    fn from(b: bool) -> Self {
        HParamValue::Bool(b)
    }
}

impl From<&str> for HParamValue {
    fn from(s: &str) -> Self {
        HParamValue::Text(s.to_string())
    }
}

impl From<String> for HParamValue {
    fn from(s: String) -> Self {
        HParamValue::Text(s)
    }
}

/// A run's hyperparameters, written when it starts (or resumes).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionStart {
    /// Name (as the sweep spells it: `width`, `train.seed`) to value.
    pub hparams: BTreeMap<String, HParamValue>,
    /// Runs with one group name are one row of the table (the point without its seed); empty:
    /// the run is a group of its own.
    pub group_name: String,
    pub start_time: SystemTime,
}

impl SessionStart {
    pub(crate) fn to_proto(&self) -> proto::SessionStartInfo {
        proto::SessionStartInfo {
            hparams: self
                .hparams
                .iter()
                .map(|(name, value)| (name.clone(), value.to_proto()))
                .collect(),
            group_name: self.group_name.clone(),
            start_time_secs: unix_secs(self.start_time),
            ..Default::default()
        }
    }
}

/// How a run ended: written once, when the outcome is final.
///
/// TensorBoard keeps the first session end it reads for a run (both of its readers take a time
/// series' metadata from its first event), so a run that will go on (stopped by Ctrl-C, to be
/// resumed) writes none: the table shows it as status "unknown" until it ends. That is also why
/// there is no `Running`: it would stick after the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Success,
    Failure,
}

impl SessionStatus {
    pub(crate) fn to_proto(self) -> proto::Status {
        match self {
            SessionStatus::Success => proto::Status::Success,
            SessionStatus::Failure => proto::Status::Failure,
        }
    }
}

/// The values an hparam takes in the sweep.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// The listed values, all of one type (the sweep's grid).
    Discrete(Vec<HParamValue>),
    /// A closed interval of numbers.
    Interval { min: f64, max: f64 },
}

/// One hyperparameter of the experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct HParam {
    pub name: String,
    pub domain: Domain,
    /// Shown instead of `name` when not empty.
    pub display_name: String,
    pub description: String,
}

impl HParam {
    pub fn new(name: impl Into<String>, domain: Domain) -> Self {
        HParam {
            name: name.into(),
            domain,
            display_name: String::new(),
            description: String::new(),
        }
    }

    fn to_proto(&self) -> Result<proto::HParamInfo> {
        let (data_type, domain) = match &self.domain {
            Domain::Discrete(values) => {
                let Some(first) = values.first() else {
                    bail!(
                        "hparam {:?}: a discrete domain needs at least one value",
                        self.name
                    );
                };
                if let Some(other) = values.iter().find(|v| v.data_type() != first.data_type()) {
                    bail!(
                        "hparam {:?}: the HParams plugin needs one type per hparam, but its values mix {} ({:?}) and {} ({:?})",
                        self.name,
                        first.type_name(),
                        first,
                        other.type_name(),
                        other
                    );
                }
                let list = proto::ListValue {
                    values: values.iter().map(HParamValue::to_proto).collect(),
                };
                (first.data_type(), hparam_info::Domain::DomainDiscrete(list))
            }
            &Domain::Interval { min, max } => {
                ensure!(
                    min.is_finite() && max.is_finite() && min <= max,
                    "hparam {:?}: the interval [{min}, {max}] is not a finite range with min <= max",
                    self.name
                );
                let interval = proto::Interval {
                    min_value: min,
                    max_value: max,
                };
                (
                    proto::DataType::Float64,
                    hparam_info::Domain::DomainInterval(interval),
                )
            }
        };
        Ok(proto::HParamInfo {
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            r#type: data_type.into(),
            domain: Some(domain),
        })
    }
}

/// One metric column: the last value of scalar `tag` in each session's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub tag: String,
    /// A sub-directory of the session's run that holds the tag; empty: the run itself.
    pub group: String,
    pub display_name: String,
    pub description: String,
}

impl Metric {
    pub fn new(tag: impl Into<String>) -> Self {
        Metric {
            tag: tag.into(),
            group: String::new(),
            display_name: String::new(),
            description: String::new(),
        }
    }

    fn to_proto(&self) -> proto::MetricInfo {
        proto::MetricInfo {
            name: Some(proto::MetricName {
                group: self.group.clone(),
                tag: self.tag.clone(),
            }),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            dataset_type: proto::DatasetType::DatasetUnknown.into(),
        }
    }
}

/// The sweep as the HParams dashboard lists it: its hparams (with their domains) and metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub description: String,
    pub hparams: Vec<HParam>,
    pub metrics: Vec<Metric>,
    pub time_created: SystemTime,
}

impl Experiment {
    pub(crate) fn to_proto(&self) -> Result<proto::Experiment> {
        let mut names = std::collections::BTreeSet::new();
        for hparam in &self.hparams {
            ensure!(
                names.insert(hparam.name.as_str()),
                "hparam {:?} is listed twice in the experiment",
                hparam.name
            );
        }
        Ok(proto::Experiment {
            description: self.description.clone(),
            time_created_secs: unix_secs(self.time_created),
            hparam_infos: self.hparams.iter().map(HParam::to_proto).collect::<Result<_>>()?,
            metric_infos: self.metrics.iter().map(Metric::to_proto).collect(),
            ..Default::default()
        })
    }
}

/// Seconds since the Unix epoch (negative before it), as event files store time.
pub(crate) fn unix_secs(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_domain_takes_its_type_from_its_values() {
        let h = HParam::new("mode", Domain::Discrete(vec!["star".into(), "sum".into()]));
        let info = h.to_proto().unwrap();
        assert_eq!(info.r#type, proto::DataType::String as i32);
        let Some(hparam_info::Domain::DomainDiscrete(list)) = info.domain else {
            panic!("not discrete: {:?}", info.domain)
        };
        assert_eq!(list.values.len(), 2);
        assert_eq!(list.values[1].kind, Some(Kind::StringValue("sum".into())));
    }

    #[test]
    fn bad_domains_are_errors_that_name_the_hparam() {
        let mixed = HParam::new("width", Domain::Discrete(vec![64i64.into(), "auto".into()]));
        let err = mixed.to_proto().unwrap_err().to_string();
        assert!(err.contains("\"width\"") && err.contains("mix"), "{err}");

        let empty = HParam::new("depth", Domain::Discrete(vec![]));
        let err = empty.to_proto().unwrap_err().to_string();
        assert!(err.contains("\"depth\"") && err.contains("at least one"), "{err}");

        let reversed = HParam::new("lr", Domain::Interval { min: 1.0, max: 0.1 });
        let err = reversed.to_proto().unwrap_err().to_string();
        assert!(err.contains("\"lr\"") && err.contains("min <= max"), "{err}");
    }

    #[test]
    fn an_hparam_listed_twice_is_an_error() {
        let h = HParam::new("width", Domain::Interval { min: 1.0, max: 2.0 });
        let exp = Experiment {
            description: String::new(),
            hparams: vec![h.clone(), h],
            metrics: vec![],
            time_created: UNIX_EPOCH,
        };
        let err = exp.to_proto().unwrap_err().to_string();
        assert!(err.contains("twice"), "{err}");
    }

    #[test]
    fn times_before_the_epoch_are_negative() {
        let t = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(unix_secs(t), -1.5);
        assert_eq!(
            unix_secs(UNIX_EPOCH + std::time::Duration::from_millis(250)),
            0.25
        );
    }
}
