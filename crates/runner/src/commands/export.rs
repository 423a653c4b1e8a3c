//! `runner export`: a StarNet (a variant, or a run's model) with its weights to an ONNX file,
//! written from Rust by `starnet-onnx` (BatchNorm folded; f1 and f2 as two convs, or as one with
//! `--merge-f12`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use tch::nn;

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// A StarNet variant: starnet_s050, starnet_s100, starnet_s150, starnet_s1 .. starnet_s4.
    #[arg(long, required_unless_present = "run", conflicts_with = "run")]
    pub model: Option<String>,
    /// Take the network from a run record (results/<name>/runs/<id>.json of a `starnet` model).
    #[arg(long, value_name = "RECORD.json")]
    pub run: Option<PathBuf>,
    /// Merge of every stage: star, sum, star_both or star_after.
    #[arg(long)]
    pub mode: Option<starnet::Mode>,
    /// One merge per stage, comma-separated (e.g. sum,sum,star,star).
    #[arg(long, value_delimiter = ',', conflicts_with = "mode")]
    pub stage_modes: Vec<starnet::Mode>,
    /// Activation inside the merge: relu6, relu, gelu, leaky_relu, hardswish or none.
    #[arg(long)]
    pub act: Option<starnet::Act>,
    /// safetensors with timm's names (timm's model.safetensors, or a training checkpoint, whose
    /// optimizer/EMA tensors are skipped). Without it: a seeded random init (for timing only).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Seed of the random init when no --weights are given.
    #[arg(long, default_value_t = 0)]
    pub seed: i64,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub net: ModelArgs,
    /// Input height and width in pixels (fixed in the graph; the batch size is free).
    #[arg(long, default_value_t = 224)]
    pub img_size: i64,
    /// f1 and f2 as one conv whose output is split (default: two convs, faster on ONNX Runtime's
    /// CPU provider, whose blocked layout has no Split).
    #[arg(long)]
    pub merge_f12: bool,
    /// Where to write the ONNX model.
    #[arg(long, value_name = "OUT.onnx")]
    pub onnx: PathBuf,
}

impl ModelArgs {
    /// The architecture: the variant (or the run's model), then --mode / --stage-modes / --act.
    pub fn config(&self) -> Result<starnet::Config> {
        let mut cfg = match (&self.model, &self.run) {
            (Some(name), _) => starnet::Config::from_name(name)?,
            (None, Some(record)) => config_of_run(record)?,
            (None, None) => bail!("give --model NAME or --run RECORD.json"),
        };
        if let Some(mode) = self.mode {
            cfg = cfg.with_mode(mode);
        }
        if !self.stage_modes.is_empty() {
            cfg.stage_modes = self.stage_modes.clone();
        }
        if let Some(act) = self.act {
            cfg.act = act;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The network in eval mode with its weights (or a seeded random init, announced on stderr).
    pub fn build(&self) -> Result<(nn::VarStore, starnet::StarNet)> {
        let cfg = self.config()?;
        let mut vs = nn::VarStore::new(tch::Device::Cpu);
        let net = training::seed::seeded(self.seed, || starnet::StarNet::new(&vs.root(), &cfg))?;
        match &self.weights {
            Some(w) => load_weights(&vs, w).with_context(|| format!("loading {}", w.display()))?,
            None => eprintln!(
                "note: no --weights: random weights (seed {}), fine for timing only",
                self.seed
            ),
        }
        vs.freeze();
        Ok((vs, net))
    }
}

/// The `[model]` of a run record whose `arch` is `starnet`.
fn config_of_run(record: &Path) -> Result<starnet::Config> {
    let text = std::fs::read_to_string(record)
        .with_context(|| format!("cannot read run record {}", record.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a run record (JSON)", record.display()))?;
    let mut model = v
        .pointer("/config/model")
        .and_then(|m| m.as_object())
        .cloned()
        .with_context(|| format!("{}: no config.model section", record.display()))?;
    let arch = model.remove("arch");
    ensure!(
        arch.as_ref().and_then(|a| a.as_str()) == Some("starnet"),
        "{}: the run's model is {}, not a StarNet",
        record.display(),
        arch.map(|a| a.to_string()).unwrap_or_else(|| "unnamed".into())
    );
    serde_json::from_value(serde_json::Value::Object(model))
        .with_context(|| format!("{}: config.model is not a StarNet config", record.display()))
}

/// Tensors a training checkpoint holds besides the model's (`training::checkpoint`).
const CHECKPOINT_PREFIXES: [&str; 3] = ["optim.", "ema.", "master."];

/// timm-named weights, or the model tensors of a training checkpoint.
fn load_weights(vs: &nn::VarStore, path: &Path) -> Result<()> {
    let named = tch::Tensor::read_safetensors(path)
        .with_context(|| format!("{} is not a readable safetensors file", path.display()))?;
    if !named
        .iter()
        .any(|(n, _)| CHECKPOINT_PREFIXES.iter().any(|p| n.starts_with(p)))
    {
        starnet::weights::load(vs, path)?;
        return Ok(());
    }
    // A training checkpoint: keep the model's tensors and let `weights::load` check them.
    let model: Vec<(String, tch::Tensor)> = named
        .into_iter()
        .filter(|(n, _)| !CHECKPOINT_PREFIXES.iter().any(|p| n.starts_with(p)))
        .collect();
    let dir = tempfile::tempdir()?;
    let tmp = dir.path().join("model.safetensors");
    tch::Tensor::write_safetensors(&model, &tmp)?;
    starnet::weights::load(vs, &tmp).map(|_| ()).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            e.to_string()
                .replace(&tmp.display().to_string(), &path.display().to_string())
        )
    })
}

pub fn run(a: &ExportArgs) -> Result<()> {
    let (_vs, net) = a.net.build()?;
    let opts = starnet_onnx::ExportOptions {
        merge_f12: a.merge_f12,
        ..starnet_onnx::ExportOptions::square(a.img_size)
    };
    let model = starnet_onnx::export(&net, &opts)?;
    starnet_onnx::export::write(&model, &a.onnx)?;
    let graph = model.graph.as_ref().expect("export always writes a graph");
    let bytes = std::fs::metadata(&a.onnx).map(|m| m.len()).unwrap_or(0);
    let cfg = net.config();
    println!(
        "{}: StarNet base {} depths {:?} (stage modes {}, act {}), input N x {} x {} x {}, {} nodes, {:.1} MB; \
         ONNX opset {}, IR version {}; BatchNorm folded, f1 and f2 as {}",
        a.onnx.display(),
        cfg.base_dim,
        cfg.depths,
        cfg.stage_modes
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(","),
        cfg.act,
        cfg.in_chans,
        a.img_size,
        a.img_size,
        graph.node.len(),
        bytes as f64 / 1e6,
        starnet_onnx::OPSET,
        starnet_onnx::IR_VERSION,
        if a.merge_f12 {
            "one conv, split"
        } else {
            "two convs"
        },
    );
    Ok(())
}
