//! The protobuf messages of a TensorBoard event file, as `prost` structs.
//!
//! Field names, numbers and types are those of TensorBoard's own `.proto` files (2.21):
//! `tensorboard/compat/proto/{event,summary,tensor,tensor_shape,types}.proto` (package
//! `tensorboard`), `tensorboard/plugins/hparams/{api,plugin_data}.proto` (package
//! `tensorboard.hparams`) and `google/protobuf/struct.proto`. Only the messages and fields this
//! crate writes are declared: protobuf readers skip fields they do not know, so a subset encodes
//! valid events (and decodes any event, dropping the rest). Written by hand rather than generated
//! by `prost-build`, which would need `protoc` at build time.

use std::collections::BTreeMap;

use prost::{Enumeration, Message, Oneof};

/// The `file_version` of the first event of every file; TensorBoard's readers purge on
/// `SessionLog.START` only from version 2 on.
pub const FILE_VERSION: &str = "brain.Event:2";

/// `event.proto`: one record of an event file.
#[derive(Clone, PartialEq, Message)]
pub struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    #[prost(int64, tag = "2")]
    pub step: i64,
    #[prost(oneof = "event::What", tags = "3, 5, 7")]
    pub what: Option<event::What>,
}

pub mod event {
    use super::*;

    /// `Event.what`.
    #[derive(Clone, PartialEq, Oneof)]
    pub enum What {
        #[prost(string, tag = "3")]
        FileVersion(String),
        #[prost(message, tag = "5")]
        Summary(Summary),
        #[prost(message, tag = "7")]
        SessionLog(SessionLog),
    }
}

/// `event.proto`: a restart marker. A `START` at step `s` tells readers to drop every event they
/// hold with a step `>= s` (the steps a resumed run trains again).
#[derive(Clone, PartialEq, Message)]
pub struct SessionLog {
    #[prost(enumeration = "session_log::SessionStatus", tag = "1")]
    pub status: i32,
    #[prost(string, tag = "2")]
    pub checkpoint_path: String,
    #[prost(string, tag = "3")]
    pub msg: String,
}

pub mod session_log {
    use super::*;

    /// `SessionLog.SessionStatus`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
    #[repr(i32)]
    pub enum SessionStatus {
        StatusUnspecified = 0,
        Start = 1,
        Stop = 2,
        Checkpoint = 3,
    }
}

/// `summary.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct Summary {
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<summary::Value>,
}

pub mod summary {
    use super::*;

    /// `Summary.Value`: one tagged value.
    #[derive(Clone, PartialEq, Message)]
    pub struct Value {
        #[prost(string, tag = "1")]
        pub tag: String,
        #[prost(message, optional, tag = "9")]
        pub metadata: Option<SummaryMetadata>,
        #[prost(oneof = "value::Value", tags = "2, 8")]
        pub value: Option<value::Value>,
    }

    pub mod value {
        use super::*;

        /// `Summary.Value.value`.
        #[derive(Clone, PartialEq, Oneof)]
        pub enum Value {
            /// A scalar: the scalars dashboard reads it with no metadata.
            #[prost(float, tag = "2")]
            SimpleValue(f32),
            #[prost(message, tag = "8")]
            Tensor(TensorProto),
        }
    }
}

/// `summary.proto`: which plugin owns a time series, and its data.
#[derive(Clone, PartialEq, Message)]
pub struct SummaryMetadata {
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<summary_metadata::PluginData>,
    #[prost(string, tag = "2")]
    pub display_name: String,
    #[prost(string, tag = "3")]
    pub summary_description: String,
}

pub mod summary_metadata {
    use super::*;

    /// `SummaryMetadata.PluginData`.
    #[derive(Clone, PartialEq, Message)]
    pub struct PluginData {
        #[prost(string, tag = "1")]
        pub plugin_name: String,
        /// The plugin's own serialized message (for `hparams`: an [`HParamsPluginData`]).
        #[prost(bytes = "vec", tag = "2")]
        pub content: Vec<u8>,
    }
}

/// `types.proto`: `DataType` values this crate writes.
pub mod data_type {
    pub const DT_FLOAT: i32 = 1;
}

/// `tensor.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    /// A [`data_type`] value.
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    #[prost(int32, tag = "3")]
    pub version_number: i32,
    /// Little-endian values, row-major.
    #[prost(bytes = "vec", tag = "4")]
    pub tensor_content: Vec<u8>,
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    #[prost(double, repeated, tag = "6")]
    pub double_val: Vec<f64>,
}

/// `tensor_shape.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<tensor_shape_proto::Dim>,
    #[prost(bool, tag = "3")]
    pub unknown_rank: bool,
}

pub mod tensor_shape_proto {
    use super::*;

    /// `TensorShapeProto.Dim`.
    #[derive(Clone, PartialEq, Message)]
    pub struct Dim {
        #[prost(int64, tag = "1")]
        pub size: i64,
        #[prost(string, tag = "2")]
        pub name: String,
    }
}

/// `google/protobuf/struct.proto`: a JSON-like value (the HParams plugin's hparam values).
#[derive(Clone, PartialEq, Message)]
pub struct Value {
    #[prost(oneof = "value::Kind", tags = "1, 2, 3, 4, 5, 6")]
    pub kind: Option<value::Kind>,
}

pub mod value {
    use super::*;

    /// `Value.kind`.
    #[derive(Clone, PartialEq, Oneof)]
    pub enum Kind {
        #[prost(enumeration = "NullValue", tag = "1")]
        NullValue(i32),
        #[prost(double, tag = "2")]
        NumberValue(f64),
        #[prost(string, tag = "3")]
        StringValue(String),
        #[prost(bool, tag = "4")]
        BoolValue(bool),
        #[prost(message, tag = "5")]
        StructValue(Struct),
        #[prost(message, tag = "6")]
        ListValue(ListValue),
    }
}

/// `struct.proto`: `NullValue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum NullValue {
    NullValue = 0,
}

/// `struct.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct ListValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<Value>,
}

/// `struct.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct Struct {
    #[prost(btree_map = "string, message", tag = "1")]
    pub fields: BTreeMap<String, Value>,
}

/// `plugin_data.proto`: the content of an `hparams` plugin summary.
#[derive(Clone, PartialEq, Message)]
pub struct HParamsPluginData {
    /// The plugin's schema version: 0 (`metadata.PLUGIN_DATA_VERSION`).
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(oneof = "hparams_plugin_data::Data", tags = "2, 3, 4")]
    pub data: Option<hparams_plugin_data::Data>,
}

pub mod hparams_plugin_data {
    use super::*;

    /// `HParamsPluginData.data`.
    #[derive(Clone, PartialEq, Oneof)]
    pub enum Data {
        #[prost(message, tag = "2")]
        Experiment(Experiment),
        #[prost(message, tag = "3")]
        SessionStartInfo(SessionStartInfo),
        #[prost(message, tag = "4")]
        SessionEndInfo(SessionEndInfo),
    }
}

/// `plugin_data.proto`: a session's (run's) hyperparameters, written when it starts.
#[derive(Clone, PartialEq, Message)]
pub struct SessionStartInfo {
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, Value>,
    #[prost(string, tag = "2")]
    pub model_uri: String,
    #[prost(string, tag = "3")]
    pub monitor_url: String,
    /// Sessions with one group name are one row of the HParams table (seeds of one point).
    #[prost(string, tag = "4")]
    pub group_name: String,
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `plugin_data.proto`: how a session ended.
#[derive(Clone, PartialEq, Message)]
pub struct SessionEndInfo {
    #[prost(enumeration = "Status", tag = "1")]
    pub status: i32,
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}

/// `api.proto`: the sweep: its hyperparameters and metrics, written once in the root run.
#[derive(Clone, PartialEq, Message)]
pub struct Experiment {
    #[prost(string, tag = "6")]
    pub name: String,
    #[prost(string, tag = "1")]
    pub description: String,
    #[prost(string, tag = "2")]
    pub user: String,
    #[prost(double, tag = "3")]
    pub time_created_secs: f64,
    #[prost(message, repeated, tag = "4")]
    pub hparam_infos: Vec<HParamInfo>,
    #[prost(message, repeated, tag = "5")]
    pub metric_infos: Vec<MetricInfo>,
}

/// `api.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct HParamInfo {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub display_name: String,
    #[prost(string, tag = "3")]
    pub description: String,
    #[prost(enumeration = "DataType", tag = "4")]
    pub r#type: i32,
    #[prost(oneof = "hparam_info::Domain", tags = "5, 6")]
    pub domain: Option<hparam_info::Domain>,
}

pub mod hparam_info {
    use super::*;

    /// `HParamInfo.domain`.
    #[derive(Clone, PartialEq, Oneof)]
    pub enum Domain {
        #[prost(message, tag = "5")]
        DomainDiscrete(ListValue),
        #[prost(message, tag = "6")]
        DomainInterval(Interval),
    }
}

/// `api.proto`: an hparam's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum DataType {
    Unset = 0,
    String = 1,
    Bool = 2,
    Float64 = 3,
}

/// `api.proto`: the closed interval `[min_value, max_value]`.
#[derive(Clone, PartialEq, Message)]
pub struct Interval {
    #[prost(double, tag = "1")]
    pub min_value: f64,
    #[prost(double, tag = "2")]
    pub max_value: f64,
}

/// `api.proto`: a metric is the scalar `tag` of the run `<session><group>` (group `""`: the
/// session's own run).
#[derive(Clone, PartialEq, Message)]
pub struct MetricName {
    #[prost(string, tag = "1")]
    pub group: String,
    #[prost(string, tag = "2")]
    pub tag: String,
}

/// `api.proto`.
#[derive(Clone, PartialEq, Message)]
pub struct MetricInfo {
    #[prost(message, optional, tag = "1")]
    pub name: Option<MetricName>,
    #[prost(string, tag = "3")]
    pub display_name: String,
    #[prost(string, tag = "4")]
    pub description: String,
    #[prost(enumeration = "DatasetType", tag = "5")]
    pub dataset_type: i32,
}

/// `api.proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum DatasetType {
    DatasetUnknown = 0,
    DatasetTraining = 1,
    DatasetValidation = 2,
}

/// `api.proto`: a session's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum Status {
    Unknown = 0,
    Success = 1,
    Failure = 2,
    Running = 3,
}
