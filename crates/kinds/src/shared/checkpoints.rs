//! Checkpoints of a training run, in `runs/<id>.ckpt/`: with `train.checkpoint_every` set,
//! `epoch_NNNN.safetensors`, and `last.safetensors` at the end; whatever the config, Ctrl-C stops
//! the run after its current step with its state in `interrupted.safetensors`. A run that finds
//! a checkpoint there resumes from the newest (the mid-epoch one first). The runner removes the
//! folder once the run's record is written.

use std::path::{Path, PathBuf};

use training::{TrainConfig, TrainError, Trainer};

use crate::context::RunContext;

/// `trainer`, stopping on Ctrl-C, checkpointing as `cfg` says, resumed from the newest checkpoint.
pub fn with_checkpoints<'a>(
    trainer: Trainer<'a>,
    ctx: &'a RunContext,
    cfg: &TrainConfig,
) -> Result<Trainer<'a>, TrainError> {
    let mut trainer = trainer.stop_when(&ctx.stop_requested, ctx.checkpoints.clone());
    if cfg.checkpoint_every.is_some() {
        trainer = trainer.checkpoint_dir(ctx.checkpoints.clone());
    }
    let interrupted = ctx.checkpoints.join(training::interrupted::FILE);
    let from = if interrupted.is_file() {
        Some(interrupted)
    } else {
        cfg.checkpoint_every
            .and_then(|_| latest_checkpoint(&ctx.checkpoints))
    };
    match from {
        Some(p) => {
            tracing::info!("resuming from {}", p.display());
            trainer.resume(&p)
        }
        None => Ok(trainer),
    }
}

/// `last.safetensors` if present, else the `epoch_NNNN.safetensors` with the highest N.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let last = dir.join("last.safetensors");
    if last.is_file() {
        return Some(last);
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let n: usize = name
                .strip_prefix("epoch_")?
                .strip_suffix(".safetensors")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
}
