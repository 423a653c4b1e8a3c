//! [`TrainError`]: how a [`Trainer`](super::Trainer) run ends when it does not finish.

use crate::interrupted::Interrupted;
use crate::metrics::TrainRecord;

/// A run that could not start or did not finish; `record` keeps the epochs that did
/// (`record.stopped` says why). Boxed so that every `Result` carrying this error stays small.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TrainError {
    pub message: String,
    pub record: Box<TrainRecord>,
    /// Set when the run stopped on request
    /// ([`Trainer::stop_when`](super::Trainer::stop_when)): not a failure, and not a finished
    /// run either.
    pub interrupted: Option<Interrupted>,
}

impl TrainError {
    pub(super) fn new(message: String, record: TrainRecord) -> TrainError {
        TrainError {
            message,
            record: Box::new(record),
            interrupted: None,
        }
    }
}
