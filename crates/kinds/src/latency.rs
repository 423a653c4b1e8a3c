//! `kind = "latency"`: inference latency of a StarNet (the paper's Table 8 analog, sum vs star).
//!
//! `[model]` picks the network (`variant`, the merge `mode` of every stage, BN folding) and the
//! runtime (`backend`: libtorch, or ONNX Runtime on our ONNX export, the paper's runtime);
//! `[measure]` the protocol (batch, image size, warm-up and timed iterations, threads). Weights are
//! random (seeded): latency does not depend on their values. Metrics: `latency_mean_ms`,
//! `latency_median_ms`, `latency_p90_ms`, `latency_min_ms`, plus `params`, `macs` and `threads`;
//! `extra` names the backend and, for ORT, its version.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::kind::RunKind;
use crate::outcome::RunOutcome;
use crate::shared::build;

/// Where the forward pass runs (also `runner predict --backend`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Backend {
    /// libtorch through tch.
    #[default]
    Tch,
    /// ONNX Runtime (CPU) through the ort crate, on the model exported by starnet-onnx.
    Ort,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencyModel {
    /// starnet_s050 .. starnet_s4.
    pub variant: String,
    /// The merge of every stage: star (the paper) or sum.
    pub mode: starnet::Mode,
    /// Fold BatchNorm into the convs before timing (`StarNet::fuse`). The ONNX export is always
    /// folded, so `backend = "ort"` needs `fused = true`.
    pub fused: bool,
    /// `tch` (libtorch) or `ort` (ONNX Runtime, CPU, every graph optimisation on, on the model
    /// `starnet-onnx` exports).
    pub backend: Backend,
}

impl Default for LatencyModel {
    fn default() -> Self {
        LatencyModel {
            variant: "starnet_s1".to_string(),
            mode: starnet::Mode::Star,
            fused: true,
            backend: Backend::Tch,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Measure {
    pub batch: i64,
    pub img_size: i64,
    /// Untimed forward passes first (the paper: 50).
    pub warmup: usize,
    /// Timed forward passes (the paper: 500).
    pub iters: usize,
    /// Seeds the random weights and input. As a sweep axis it repeats the measurement: with it
    /// outermost, all variants are timed once per round, interleaved, and the summary reports
    /// mean and spread over the rounds.
    pub seed: u64,
    /// Intra-op threads (the paper: 4). Default: the run's share of the runner's `--threads`.
    pub threads: Option<usize>,
}

impl Default for Measure {
    fn default() -> Self {
        Measure {
            batch: 1,
            img_size: 224,
            warmup: 50,
            iters: 500,
            seed: 0,
            threads: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencySections {
    pub model: LatencyModel,
    pub measure: Measure,
}

pub struct Latency;

impl RunKind for Latency {
    type Sections = LatencySections;
    const SECTIONS: &'static [&'static str] = &["model", "measure"];

    fn validate(s: &LatencySections) -> Result<(), FieldError> {
        starnet::Config::from_name(&s.model.variant)
            .map_err(|e| FieldError::new("model", Some("variant"), format!("`variant`: {e}")))?;
        let m = &s.measure;
        for (field, ok, rule) in [
            ("iters", m.iters >= 1, ">= 1"),
            ("batch", m.batch >= 1, ">= 1"),
            ("img_size", m.img_size >= 32, ">= 32"),
        ] {
            if !ok {
                return Err(FieldError::new(
                    "measure",
                    Some(field),
                    format!("`{field}` must be {rule}"),
                ));
            }
        }
        if m.threads == Some(0) {
            return Err(FieldError::new(
                "measure",
                Some("threads"),
                "`threads` must be >= 1 (or left out: the runner's --threads)",
            ));
        }
        if s.model.backend == Backend::Ort && !s.model.fused {
            return Err(FieldError::new(
                "model",
                Some("fused"),
                "`fused` = false has no meaning with backend = \"ort\": the ONNX export is always \
                 BatchNorm-folded (use fused = true, or backend = \"tch\" for the unfused network)",
            ));
        }
        Ok(())
    }

    fn execute(s: LatencySections, ctx: &RunContext) -> Result<RunOutcome> {
        let m = &s.measure;
        let cfg = starnet::Config::from_name(&s.model.variant)?.with_mode(s.model.mode);
        let cost = starnet::cost(&cfg, m.img_size, m.img_size)?;
        let threads = m.threads.unwrap_or(ctx.threads);
        let device = match s.model.backend {
            Backend::Tch => ctx.device,
            Backend::Ort => tch::Device::Cpu,
        };
        let (_vs, model, model_s) =
            build(ctx, device, m.seed, |p: &nn::Path| starnet::StarNet::new(p, &cfg))?;
        let x = training::seed::seeded(m.seed as i64, || {
            Tensor::randn(
                [m.batch, cfg.in_chans, m.img_size, m.img_size],
                (Kind::Float, device),
            )
        });
        let mut extra = serde_json::json!({ "backend": s.model.backend, "threads": threads });
        let ms = match s.model.backend {
            Backend::Tch => {
                tch::set_num_threads(threads as i32);
                let fused = s.model.fused.then(|| model.fuse());
                let forward = || -> Tensor {
                    match &fused {
                        Some(f) => f.forward(&x),
                        None => tch::no_grad(|| model.forward_t(&x, false)),
                    }
                };
                // Reading one value back waits for the pass (also on CUDA).
                time_ms(ctx, m, || {
                    let _ = forward().double_value(&[0, 0]);
                    Ok(())
                })?
            }
            Backend::Ort => {
                let export = starnet_onnx::ExportOptions::square(m.img_size);
                let bytes = starnet_onnx::export::encode(&starnet_onnx::export(&model, &export)?);
                let opts = starnet_onnx::OrtOptions {
                    threads,
                    profile: None,
                };
                let mut session = starnet_onnx::OrtModel::from_bytes(&bytes, &opts)?;
                extra["onnxruntime"] = starnet_onnx::runtime::version()?.into();
                extra["onnx_opset"] = starnet_onnx::OPSET.into();
                let shape = x.size();
                let input = Vec::<f32>::try_from(x.flatten(0, -1))?;
                time_ms(ctx, m, || session.run_slice(&shape, &input).map(|_| ()))?
            }
        };
        let mut sorted = ms.clone();
        sorted.sort_by(f64::total_cmp);
        let pick = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        let mean = ms.iter().sum::<f64>() / ms.len() as f64;
        Ok(RunOutcome {
            other: BTreeMap::from([
                ("latency_mean_ms".to_string(), mean),
                ("latency_median_ms".to_string(), pick(0.5)),
                ("latency_p90_ms".to_string(), pick(0.9)),
                ("latency_min_ms".to_string(), sorted[0]),
                ("params".to_string(), cost.params as f64),
                ("macs".to_string(), cost.macs as f64),
                ("threads".to_string(), threads as f64),
            ]),
            timings: BTreeMap::from([("model_s".to_string(), model_s)]),
            samples_per_s: Some(m.batch as f64 * 1e3 / mean),
            extra,
            ..RunOutcome::default()
        })
    }
}

/// `warmup` untimed calls, then the milliseconds of each of `iters` timed calls.
fn time_ms(ctx: &RunContext, m: &Measure, mut forward: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    ctx.progress.message("warming up");
    for _ in 0..m.warmup {
        forward()?;
    }
    sync(ctx.device);
    ctx.progress.message(&format!("timing {} passes", m.iters));
    let mut ms = Vec::with_capacity(m.iters);
    for _ in 0..m.iters {
        let t = Instant::now();
        forward()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(ms)
}

fn sync(device: tch::Device) {
    if let tch::Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}
