//! ONNX Runtime from Rust through the `ort` crate, loading `libonnxruntime.so` at run time.
//!
//! The library comes from the `onnxruntime` wheel that `./lab setup` installs into `.venv` and
//! links as `.libonnxruntime.so`; `.cargo/config.toml` points `ORT_DYLIB_PATH` there. Nothing is
//! linked or downloaded at build time (the crate's `load-dynamic` mode).

use anyhow::{Context, Result, anyhow, ensure};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tch::{Kind, Tensor};

/// The ONNX Runtime minor version the `ort` crate is built for (1.x); older libraries are refused.
pub const ORT_MINOR_VERSION: u32 = ort::MINOR_VERSION;

/// Where `libonnxruntime.so` is taken from: `$ORT_DYLIB_PATH` at run time, else the path cargo
/// set when this crate was built (`.cargo/config.toml`: the workspace's `.libonnxruntime.so`).
pub fn dylib_path() -> Result<PathBuf> {
    let from_env = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty());
    let (path, origin) = match from_env {
        Some(p) => (PathBuf::from(p), "ORT_DYLIB_PATH"),
        None => match option_env!("ORT_DYLIB_PATH") {
            Some(p) => (
                PathBuf::from(p),
                "ORT_DYLIB_PATH at build time (.cargo/config.toml)",
            ),
            None => {
                return Err(anyhow!(
                    "ONNX Runtime not found: ORT_DYLIB_PATH is not set; run `./lab setup` (it installs the \
                     onnxruntime wheel into .venv) or export ORT_DYLIB_PATH=/path/to/libonnxruntime.so"
                ));
            }
        },
    };
    ensure!(
        path.is_file(),
        "ONNX Runtime not found: {} ({origin}) is not a file; run `./lab setup` (it installs the onnxruntime \
         wheel into .venv and links .libonnxruntime.so) or export ORT_DYLIB_PATH=/path/to/libonnxruntime.so \
         (ONNX Runtime >= 1.{ORT_MINOR_VERSION})",
        path.display()
    );
    Ok(path)
}

/// The process's ONNX Runtime environment, loaded on first use.
pub fn environment() -> Result<&'static Environment> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = dylib_path().map_err(|e| e.to_string())?;
        let builder = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        builder
            .with_name("starlab")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime ({}): {e}", path.display()))
    })
    .as_ref()
    .map_err(|e| anyhow!("{e}"))
}

/// The version of the loaded ONNX Runtime (`1.31.1`), read from its library's file name
/// (`libonnxruntime.so.1.31.1`, links followed); the `ort` crate does not expose the version call.
pub fn version() -> Result<String> {
    environment()?;
    let path = dylib_path()?;
    let real = std::fs::canonicalize(&path).unwrap_or(path);
    let name = real.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    Ok(match name.split_once(".so.") {
        Some((_, v)) => v.to_string(),
        None => format!("unknown ({})", real.display()),
    })
}

/// How a session runs.
#[derive(Debug, Clone, PartialEq)]
pub struct OrtOptions {
    /// Intra-op threads (the paper's "threads"); inter-op parallelism is off (sequential graph).
    pub threads: usize,
    /// Write ONNX Runtime's JSON profile to this file prefix (see [`OrtModel::end_profiling`]).
    pub profile: Option<PathBuf>,
}

impl Default for OrtOptions {
    fn default() -> Self {
        OrtOptions {
            threads: 1,
            profile: None,
        }
    }
}

/// An ONNX model in an ONNX Runtime CPU session with every graph optimisation on
/// (`ORT_ENABLE_ALL`, as the paper and the Python peer use it).
pub struct OrtModel {
    session: Session,
    input: String,
}

impl std::fmt::Debug for OrtModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtModel").field("input", &self.input).finish()
    }
}

fn ort_err<R>(context: &str) -> impl FnOnce(ort::Error<R>) -> anyhow::Error + '_ {
    move |e| anyhow!("{context}: {e}")
}

impl OrtModel {
    /// A session for the model bytes (a `.onnx` file's content).
    pub fn from_bytes(bytes: &[u8], opts: &OrtOptions) -> Result<OrtModel> {
        ensure!(opts.threads >= 1, "ONNX Runtime threads must be >= 1");
        let env = environment()?;
        let mut builder = Session::builder(env)
            .map_err(ort_err("ONNX Runtime session"))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(ort_err("ONNX Runtime optimisation level"))?
            .with_intra_threads(opts.threads)
            .map_err(ort_err("ONNX Runtime threads"))?
            .with_inter_threads(1)
            .map_err(ort_err("ONNX Runtime threads"))?;
        if let Some(p) = &opts.profile {
            builder = builder
                .with_profiling(p)
                .map_err(ort_err("ONNX Runtime profiling"))?;
        }
        let session = builder
            .commit_from_memory(bytes)
            .map_err(ort_err("ONNX Runtime cannot load the model"))?;
        ensure!(
            session.inputs().len() == 1 && !session.outputs().is_empty(),
            "expected a model with one input and at least one output, found {} and {}",
            session.inputs().len(),
            session.outputs().len()
        );
        let input = session.inputs()[0].name().to_string();
        Ok(OrtModel { session, input })
    }

    /// A session for a `.onnx` file.
    pub fn from_file(path: impl AsRef<Path>, opts: &OrtOptions) -> Result<OrtModel> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read ONNX model {}", path.display()))?;
        Self::from_bytes(&bytes, opts).with_context(|| format!("ONNX model {}", path.display()))
    }

    /// The first output for `x` (float32, contiguous, row-major), with its shape.
    pub fn run_slice(&mut self, shape: &[i64], x: &[f32]) -> Result<(Vec<i64>, Vec<f32>)> {
        let input = TensorRef::from_array_view((shape.to_vec(), x)).map_err(ort_err("input tensor"))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => input])
            .map_err(ort_err("ONNX Runtime run"))?;
        let (shape, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(ort_err("ONNX Runtime output"))?;
        Ok((shape.to_vec(), data.to_vec()))
    }

    /// The first output for a tch tensor (any float kind, any device), as a CPU float tensor.
    pub fn run(&mut self, x: &Tensor) -> Result<Tensor> {
        let x = x.to_device(tch::Device::Cpu).to_kind(Kind::Float).contiguous();
        let values = Vec::<f32>::try_from(x.flatten(0, -1))?;
        let (shape, out) = self.run_slice(&x.size(), &values)?;
        Ok(Tensor::from_slice(&out).view(shape.as_slice()))
    }

    /// A custom metadata value of the model (e.g. `starlab.config`).
    pub fn metadata(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .session
            .metadata()
            .map_err(ort_err("ONNX Runtime metadata"))?
            .custom(key))
    }

    /// Ends profiling (when [`OrtOptions::profile`] was set) and returns the profile's file name.
    pub fn end_profiling(&mut self) -> Result<String> {
        self.session
            .end_profiling()
            .map_err(ort_err("ONNX Runtime profiling"))
    }
}
