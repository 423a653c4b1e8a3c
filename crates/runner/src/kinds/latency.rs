//! `kind = "latency"`: inference latency of a StarNet (the paper's Table 8 analog, sum vs star).
//!
//! `[model]` picks the network (`variant`, the merge `mode` of every stage, BN folding) and
//! `[measure]` the protocol (batch, image size, warm-up and timed iterations). Weights are random
//! (seeded): latency does not depend on their values. Metrics: `latency_mean_ms`,
//! `latency_median_ms`, `latency_p90_ms`, `latency_min_ms`, plus `params` and `macs`.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use super::{RunContext, RunKind, RunOutcome};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencyModel {
    /// starnet_s050 .. starnet_s4.
    pub variant: String,
    /// The merge of every stage: star (the paper) or sum.
    pub mode: starnet::Mode,
    /// Fold BatchNorm into the convs before timing (`StarNet::fuse`).
    pub fused: bool,
}

impl Default for LatencyModel {
    fn default() -> Self {
        LatencyModel {
            variant: "starnet_s1".to_string(),
            mode: starnet::Mode::Star,
            fused: true,
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
    /// Seeds the random weights and input.
    pub seed: u64,
}

impl Default for Measure {
    fn default() -> Self {
        Measure {
            batch: 1,
            img_size: 224,
            warmup: 50,
            iters: 500,
            seed: 0,
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

    fn validate(s: &LatencySections) -> Result<(), String> {
        starnet::Config::from_name(&s.model.variant).map_err(|e| format!("[model] variant: {e}"))?;
        if s.measure.iters == 0 || s.measure.batch < 1 || s.measure.img_size < 32 {
            return Err("[measure]: iters >= 1, batch >= 1 and img_size >= 32 are required".to_string());
        }
        Ok(())
    }

    fn execute(&self, s: LatencySections, ctx: &RunContext) -> Result<RunOutcome> {
        let cfg = starnet::Config::from_name(&s.model.variant)?.with_mode(s.model.mode);
        let cost = starnet::cost(&cfg, s.measure.img_size, s.measure.img_size)?;
        let (_vs, model, model_s) = super::train::build(ctx.device, s.measure.seed, |p: &nn::Path| {
            starnet::StarNet::new(p, &cfg)
        })?;
        let x = Tensor::randn(
            [
                s.measure.batch,
                cfg.in_chans,
                s.measure.img_size,
                s.measure.img_size,
            ],
            (Kind::Float, ctx.device),
        );
        let fused = s.model.fused.then(|| model.fuse());
        let forward = || -> Tensor {
            match &fused {
                Some(f) => f.forward(&x),
                None => tch::no_grad(|| model.forward_t(&x, false)),
            }
        };
        ctx.progress.message("warming up");
        for _ in 0..s.measure.warmup {
            let _ = forward();
        }
        sync(ctx.device);
        ctx.progress
            .message(&format!("timing {} passes", s.measure.iters));
        let mut ms = Vec::with_capacity(s.measure.iters);
        for _ in 0..s.measure.iters {
            let t = Instant::now();
            let y = forward();
            // Reading one value back waits for the pass (also on CUDA).
            let _ = y.double_value(&[0, 0]);
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
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
            ]),
            timings: BTreeMap::from([("model_s".to_string(), model_s)]),
            samples_per_s: Some(s.measure.batch as f64 * 1e3 / mean),
            ..RunOutcome::default()
        })
    }
}

fn sync(device: tch::Device) {
    if let tch::Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}
