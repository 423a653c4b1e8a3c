//! TensorBoard event files, written from Rust: what `tensorboard --logdir` reads to draw a run's
//! scalars and a sweep's HParams table.
//!
//! - [`record`]: TFRecord framing (length, masked CRC32C, payload, masked CRC32C).
//! - [`proto`]: the `Event`, `Summary`, `TensorProto` and HParams plugin messages as `prost`
//!   structs, field numbers from TensorBoard's `.proto` files.
//! - [`hparams`]: the HParams dashboard's experiment, session start and session end.
//! - [`EventWriter`]: one event file in one run directory; [`write_experiment`] for the root.
//! - [`read_events`]: the events of a file, up to its last whole record (for tests and tools).
//!
//! A sweep's layout: `<logdir>/<run>/events.out.tfevents.*` per run (its scalars, session start
//! and end), and the experiment in `<logdir>` itself.

pub mod hparams;
pub mod proto;
pub mod record;
mod writer;

use std::path::Path;

use anyhow::{Context, Result};
use prost::Message;

pub use hparams::{Domain, Experiment, HParam, HParamValue, Metric, SessionStart, SessionStatus};
pub use writer::{DEFAULT_FLUSH_INTERVAL, EXPERIMENT_SUFFIX, EventWriter, write_experiment};

/// The events of the file at `path`, in order, up to its last whole record (a record cut short
/// by a writer still at work, or killed, is left out). A checksum that does not match or a
/// payload that is not an `Event` is an error.
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<proto::Event>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let records = record::split_records(&bytes).with_context(|| format!("in {}", path.display()))?;
    records
        .payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            proto::Event::decode(*p)
                .with_context(|| format!("record {i} of {} is not an Event", path.display()))
        })
        .collect()
}
