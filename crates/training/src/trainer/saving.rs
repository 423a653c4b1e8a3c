//! The [`Trainer`]'s checkpoints: at epoch ends (`epoch_NNNN`, `last`) and when asked to stop
//! mid-epoch (`interrupted.safetensors`), and resuming from either.

use std::path::Path;

use anyhow::Result;

use super::{TrainError, Trainer};
use crate::checkpoint::{self, SavedState};
use crate::interrupted::{self, Interrupted, PartialEpoch};

impl Trainer<'_> {
    /// Continues from a checkpoint written by a `Trainer` with the same config (up to `epochs`,
    /// `threads`, `checkpoint_every` and `log_every`): weights, optimizer, EMA and record, and,
    /// from a mid-epoch checkpoint ([`Trainer::stop_when`]), the epoch's steps so far (that file
    /// is removed once the epoch is done).
    pub fn resume(mut self, path: &Path) -> Result<Self, TrainError> {
        match checkpoint::restore_training(path, self.vs, &mut self.stepper, &self.cfg) {
            Ok(state) => {
                let previous = state.record;
                self.next_epoch = state.epochs_done;
                self.selected_weights = state.selected;
                self.record.epochs = previous.epochs;
                self.record.selected = previous.selected;
                self.record.last = previous.last;
                self.record.steps = previous.steps;
                self.record.resumed_at_epoch = Some(state.epochs_done);
                self.resumed_mid_epoch = state.partial.is_some().then(|| path.to_path_buf());
                self.partial = state.partial;
                Ok(self)
            }
            Err(e) => Err(TrainError::new(format!("resuming: {e:#}"), self.record)),
        }
    }

    /// After `epoch`: `epoch_NNNN.safetensors` every `checkpoint_every` epochs, `last.safetensors`
    /// at the end (`last`: the final epoch or `stop_after`).
    pub(super) fn save_checkpoints(&mut self, epoch: usize, stop_here: bool) -> Result<()> {
        let periodic = self
            .cfg
            .checkpoint_every
            .is_some_and(|n| (epoch + 1).is_multiple_of(n));
        let last = epoch + 1 == self.cfg.epochs || stop_here;
        let Some(dir) = self.checkpoint_dir.clone().filter(|_| periodic || last) else {
            return Ok(());
        };
        let names = [
            periodic.then(|| format!("epoch_{:04}.safetensors", epoch + 1)),
            last.then(|| "last.safetensors".to_string()),
        ];
        for name in names.into_iter().flatten() {
            self.save_state(&dir.join(name), epoch + 1, None)?;
        }
        Ok(())
    }

    /// Writes the state of a run stopped after `partial.steps` steps of `partial.epoch` into the
    /// `stop_when` folder; the returned error says where.
    pub(super) fn save_interrupted(
        &mut self,
        partial: &PartialEpoch,
        steps_per_epoch: usize,
    ) -> Result<Interrupted> {
        let path = (self.stop_when.as_ref()).map(|(_, dir)| dir.join(interrupted::FILE));
        if let Some(path) = &path {
            self.save_state(path, partial.epoch, Some(partial))?;
        }
        Ok(Interrupted {
            epoch: partial.epoch,
            epochs: self.cfg.epochs,
            step: partial.steps,
            steps_per_epoch,
            checkpoint: path,
        })
    }

    fn save_state(
        &mut self,
        path: &std::path::Path,
        epochs_done: usize,
        partial: Option<&PartialEpoch>,
    ) -> Result<()> {
        self.record.wall_s = self.started.elapsed().as_secs_f64();
        let at = SavedState {
            epochs_done,
            record: &self.record,
            selected: self.selected_weights.as_ref(),
            partial,
        };
        checkpoint::save_training(path, self.vs, &self.stepper, &self.cfg, &at)
    }
}
