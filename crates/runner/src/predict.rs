//! `runner predict`: classify images (or `.npy` tensors) with a StarNet and its weights, using
//! starnet's timm-equivalent preprocessing and ImageNet class names.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use clap::Args;
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

#[derive(Args, Debug, Clone)]
pub struct PredictArgs {
    /// A StarNet variant: starnet_s050, starnet_s100, starnet_s150, starnet_s1 .. starnet_s4.
    #[arg(long)]
    pub model: String,
    /// safetensors with timm's names (e.g. timm/starnet_s1.in1k's model.safetensors).
    #[arg(long)]
    pub weights: PathBuf,
    /// Images (JPEG/PNG) or .npy float tensors of shape N x 3 x H x W.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Save all logits (rows in input order) as a float32 .npy file.
    #[arg(long)]
    pub logits_out: Option<PathBuf>,
    /// Classes to print per input.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// cpu, cuda or auto.
    #[arg(long, default_value = "cpu")]
    pub device: training::device::DeviceChoice,
}

pub fn run(a: &PredictArgs) -> Result<()> {
    let device = a.device.resolve()?;
    let config = starnet::Config::from_name(&a.model)?;
    let mut vs = nn::VarStore::new(device);
    let model = starnet::StarNet::new(&vs.root(), &config)?;
    starnet::weights::load(&vs, &a.weights).with_context(|| format!("loading {}", a.weights.display()))?;
    vs.freeze();

    let mut logits = Vec::new();
    let mut names = Vec::new();
    for input in &a.inputs {
        let x = starnet::predict::load_input(input)?;
        let n = x.size()[0];
        ensure!(n >= 1, "{}: no images", input.display());
        let y = tch::no_grad(|| model.forward_t(&x.to_device(device), false))
            .to_kind(Kind::Float)
            .to_device(tch::Device::Cpu);
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
