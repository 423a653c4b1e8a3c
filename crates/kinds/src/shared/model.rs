//! [`build`]: a model built under its own seed.

use std::time::Instant;

use anyhow::Result;
use tch::nn;

use crate::context::RunContext;

/// Seeds tch's global RNG and builds the model, so that concurrent runs (`--jobs`) each draw
/// their initial weights from their own seed only (`training::seed`). Returns the variables, the
/// model and the seconds it took.
pub fn build<M>(
    ctx: &RunContext,
    device: tch::Device,
    seed: u64,
    make: impl FnOnce(&nn::Path) -> Result<M>,
) -> Result<(nn::VarStore, M, f64)> {
    let t = Instant::now();
    let (vs, model) = training::seed::seeded(seed as i64, || -> Result<_> {
        let vs = nn::VarStore::new(device);
        let model = make(&vs.root())?;
        ctx.tamper.init(&vs);
        Ok((vs, model))
    })?;
    Ok((vs, model, t.elapsed().as_secs_f64()))
}
