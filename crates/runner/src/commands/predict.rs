//! `runner predict`: classify images (or `.npy` tensors) with a StarNet and its weights, using
//! starnet's timm-equivalent preprocessing and ImageNet class names, on libtorch (`tch`, the
//! unfused eval-mode network) or ONNX Runtime (`ort`, our BN-folded ONNX export, or any `--onnx`).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use kinds::latency::Backend;
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

#[derive(Args, Debug, Clone)]
pub struct PredictArgs {
    /// A StarNet variant: starnet_s050, starnet_s100, starnet_s150, starnet_s1 .. starnet_s4.
    #[arg(long, required_unless_present = "onnx")]
    pub model: Option<String>,
    /// safetensors with timm's names (e.g. timm/starnet_s1.in1k's model.safetensors).
    #[arg(long, required_unless_present = "onnx")]
    pub weights: Option<PathBuf>,
    /// Run this ONNX file on ONNX Runtime instead (e.g. from `runner export`); implies --backend ort.
    #[arg(long, conflicts_with_all = ["model", "weights"])]
    pub onnx: Option<PathBuf>,
    /// Images (JPEG/PNG) or .npy float tensors of shape N x 3 x H x W.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Save all logits (rows in input order) as a float32 .npy file.
    #[arg(long)]
    pub logits_out: Option<PathBuf>,
    /// Classes to print per input.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// tch (libtorch) or ort (ONNX Runtime, CPU).
    #[arg(long, value_enum, default_value_t = Backend::Tch)]
    pub backend: Backend,
    /// CPU threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// cpu, cuda or auto (tch only; ONNX Runtime runs on the CPU here).
    #[arg(long, default_value = "cpu")]
    pub device: training::device::DeviceChoice,
}

/// The forward pass of one backend.
enum Engine {
    Tch {
        device: tch::Device,
        net: starnet::StarNet,
        _vs: nn::VarStore,
    },
    /// The network (to export at each input size), or a given ONNX file.
    Ort {
        net: Option<(starnet::StarNet, nn::VarStore)>,
        sessions: HashMap<Vec<i64>, starnet_onnx::OrtModel>,
        opts: starnet_onnx::OrtOptions,
    },
}

impl Engine {
    fn new(a: &PredictArgs) -> Result<Engine> {
        let threads = a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        ensure!(threads >= 1, "--threads must be >= 1");
        let backend = if a.onnx.is_some() { Backend::Ort } else { a.backend };
        let opts = starnet_onnx::OrtOptions {
            threads,
            profile: None,
        };
        if let Some(path) = &a.onnx {
            let model = starnet_onnx::OrtModel::from_file(path, &opts)?;
            return Ok(Engine::Ort {
                net: None,
                sessions: HashMap::from([(vec![], model)]),
                opts,
            });
        }
        let (Some(model), Some(weights)) = (&a.model, &a.weights) else {
            bail!("give --model and --weights, or --onnx FILE");
        };
        let device = match backend {
            Backend::Tch => a.device.resolve()?,
            Backend::Ort => tch::Device::Cpu,
        };
        if backend == Backend::Ort && a.device.resolve()?.is_cuda() {
            bail!(
                "--backend ort runs on the CPU (this build has no CUDA execution provider); use --device cpu"
            );
        }
        let config = starnet::Config::from_name(model)?;
        let mut vs = nn::VarStore::new(device);
        let net = starnet::StarNet::new(&vs.root(), &config)?;
        starnet::weights::load(&vs, weights).with_context(|| format!("loading {}", weights.display()))?;
        vs.freeze();
        Ok(match backend {
            Backend::Tch => {
                tch::set_num_threads(threads as i32);
                Engine::Tch { device, net, _vs: vs }
            }
            Backend::Ort => Engine::Ort {
                net: Some((net, vs)),
                sessions: HashMap::new(),
                opts,
            },
        })
    }

    fn logits(&mut self, x: &Tensor) -> Result<Tensor> {
        match self {
            Engine::Tch { device, net, .. } => {
                Ok(tch::no_grad(|| net.forward_t(&x.to_device(*device), false))
                    .to_kind(Kind::Float)
                    .to_device(tch::Device::Cpu))
            }
            Engine::Ort {
                net: None, sessions, ..
            } => sessions.get_mut(&vec![]).expect("the --onnx session").run(x),
            Engine::Ort {
                net: Some((net, _)),
                sessions,
                opts,
            } => {
                // The graph has a fixed spatial size: one export and session per input size.
                let size = x.size();
                let hw = size[2..].to_vec();
                if !sessions.contains_key(&hw) {
                    let export = starnet_onnx::ExportOptions {
                        height: hw[0],
                        width: hw[1],
                        ..Default::default()
                    };
                    let bytes = starnet_onnx::export::encode(&starnet_onnx::export(net, &export)?);
                    sessions.insert(hw.clone(), starnet_onnx::OrtModel::from_bytes(&bytes, opts)?);
                }
                sessions.get_mut(&hw).expect("inserted above").run(x)
            }
        }
    }
}

pub fn run(a: &PredictArgs) -> Result<()> {
    let mut engine = Engine::new(a)?;
    let mut logits = Vec::new();
    let mut names = Vec::new();
    for input in &a.inputs {
        let x = starnet::predict::load_input(input)?;
        let n = x.size()[0];
        ensure!(n >= 1, "{}: no images", input.display());
        let y = engine
            .logits(&x)
            .with_context(|| format!("classifying {}", input.display()))?;
        for i in 0..n {
            names.push(if n == 1 {
                input.display().to_string()
            } else {
                format!("{}[{i}]", input.display())
            });
        }
        logits.push(y);
    }
    let logits = Tensor::cat(&logits, 0);
    for (name, top) in names.iter().zip(starnet::predict::top_k(&logits, a.top)?) {
        println!("{name}:");
        for p in top {
            println!(
                "  {:6.2}%  {:>4}  {}  {}",
                p.prob * 100.0,
                p.index,
                p.synset,
                p.name
            );
        }
    }
    if let Some(path) = &a.logits_out {
        starnet::predict::write_logits(&logits, path)?;
        eprintln!(
            "logits ({} x {}) -> {}",
            logits.size()[0],
            logits.size()[1],
            path.display()
        );
    }
    Ok(())
}
