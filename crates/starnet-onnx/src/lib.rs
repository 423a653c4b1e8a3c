//! StarNet as an ONNX model, written from Rust, and run on ONNX Runtime from Rust.
//!
//! - [`export`]: a [`starnet::StarNet`] (any variant, star mode, activation and per-stage modes) to
//!   an ONNX graph with every BatchNorm folded and `f1`/`f2` as one conv ([`export::export`]).
//! - [`runtime`]: ONNX Runtime through the `ort` crate, whose shared library is loaded at run time
//!   from the `onnxruntime` wheel in `.venv` ([`runtime::OrtModel`]).
//! - [`proto`]: the ONNX protobuf messages used, as `prost` structs (no `protoc` needed).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use starnet_onnx::{export, runtime};
//! let vs = tch::nn::VarStore::new(tch::Device::Cpu);
//! let net = starnet::StarNet::new(&vs.root(), &starnet::Config::s1())?;
//! let model = export::export(&net, &export::ExportOptions::square(224))?;
//! export::write(&model, "starnet_s1.onnx")?;
//! let mut ort = runtime::OrtModel::from_bytes(&export::encode(&model), &runtime::OrtOptions::default())?;
//! let logits = ort.run(&tch::Tensor::randn([1, 3, 224, 224], tch::kind::FLOAT_CPU))?;
//! # Ok(()) }
//! ```

pub mod export;
mod graph;
pub mod proto;
pub mod runtime;

pub use export::{ExportOptions, IR_VERSION, OPSET, export};
pub use runtime::{OrtModel, OrtOptions};
