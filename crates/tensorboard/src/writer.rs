//! [`EventWriter`]: one event file in one run directory.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use prost::Message;

use crate::hparams::{self, Experiment, SessionStart, SessionStatus, unix_secs};
use crate::proto::{
    self, Event, HParamsPluginData, SessionLog, Summary, SummaryMetadata, TensorProto, TensorShapeProto,
    event::What, hparams_plugin_data::Data, session_log::SessionStatus as Log, summary,
    summary_metadata::PluginData, tensor_shape_proto::Dim,
};
use crate::record::encode_record;

/// How often a writer flushes on its own, at the first record after the interval: a run being
/// watched shows up within seconds even when its caller flushes only at epoch ends.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// The suffix of the files [`write_experiment`] writes, so that it finds and replaces its own.
pub const EXPERIMENT_SUFFIX: &str = ".hparams-experiment";

/// Appends events to a new file `events.out.tfevents.<secs>.<host>.<pid>.<n>` in one run
/// directory (TensorBoard reads every such file of a directory as one run, in name order).
///
/// Each event is framed into one whole record (see [`crate::record`]) and handed to a
/// `BufWriter` with one `write_all`; the buffer goes to the file only whole, at record boundaries
/// ([`flush`](Self::flush), the flush interval, or a full buffer), so a process killed at any
/// point leaves a file that reads up to its last complete record.
///
/// Scalars use `simple_value` (what the scalars dashboard reads with no plugin metadata); their
/// `f64` values are stored as `f32`, as TensorBoard keeps them.
#[derive(Debug)]
pub struct EventWriter {
    path: PathBuf,
    out: BufWriter<File>,
    /// The record being written, reused so a scalar costs no allocation.
    record: Vec<u8>,
    flush_interval: Option<Duration>,
    last_flush: Instant,
}

impl EventWriter {
    /// Creates `dir` (and its parents) and a new event file in it, starting with the
    /// `file_version` event.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self> {
        Self::create_with_suffix(dir, "")
    }

    /// [`create`](Self::create), with `suffix` appended to the file name.
    pub fn create_with_suffix(dir: impl AsRef<Path>, suffix: &str) -> Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(file_name(SystemTime::now(), suffix));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating the event file {}", path.display()))?;
        let mut writer = EventWriter {
            path,
            out: BufWriter::new(file),
            record: Vec::with_capacity(256),
            flush_interval: Some(DEFAULT_FLUSH_INTERVAL),
            last_flush: Instant::now(),
        };
        writer.write_event(&Event {
            wall_time: unix_secs(SystemTime::now()),
            step: 0,
            what: Some(What::FileVersion(proto::FILE_VERSION.into())),
        })?;
        Ok(writer)
    }

    /// Flush on its own at most this long after the last flush (`None`: only on
    /// [`flush`](Self::flush), drop, or a full buffer). Default [`DEFAULT_FLUSH_INTERVAL`].
    pub fn with_flush_interval(mut self, interval: Option<Duration>) -> Self {
        self.flush_interval = interval;
        self
    }

    /// The event file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One scalar at `step`, stamped now.
    pub fn scalar(&mut self, tag: &str, step: i64, value: f64) -> Result<()> {
        self.scalars_at(SystemTime::now(), step, [(tag, value)])
    }

    /// Several scalars of one step in one event, stamped now.
    pub fn scalars<'a>(&mut self, step: i64, values: impl IntoIterator<Item = (&'a str, f64)>) -> Result<()> {
        self.scalars_at(SystemTime::now(), step, values)
    }

    /// Several scalars of one step in one event, stamped `wall_time` (for events written after
    /// the fact from a run's records).
    pub fn scalars_at<'a>(
        &mut self,
        wall_time: SystemTime,
        step: i64,
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<()> {
        let value = values
            .into_iter()
            .map(|(tag, v)| summary::Value {
                tag: tag.to_string(),
                metadata: None,
                value: Some(summary::value::Value::SimpleValue(v as f32)),
            })
            .collect();
        self.write_event(&Event {
            wall_time: unix_secs(wall_time),
            step,
            what: Some(What::Summary(Summary { value })),
        })
    }

    /// `SessionLog.START` at `step`: a run resumed from a checkpoint writes it before its first
    /// event, with the first step it trains again; readers then drop what they hold from this
    /// run at steps `>= step` (also from its earlier files), so re-trained steps are not shown
    /// twice. HParams summaries sit at step 0: resume at step 1 or later.
    pub fn session_log_start(&mut self, step: i64) -> Result<()> {
        self.write_event(&Event {
            wall_time: unix_secs(SystemTime::now()),
            step,
            what: Some(What::SessionLog(SessionLog {
                status: Log::Start.into(),
                ..Default::default()
            })),
        })
    }

    /// The run's hyperparameters for the HParams table (a resumed run may write them again).
    pub fn hparams_session_start(&mut self, start: &SessionStart) -> Result<()> {
        self.hparams_summary(
            hparams::SESSION_START_INFO_TAG,
            Data::SessionStartInfo(start.to_proto()),
        )
    }

    /// The run's final status (see [`SessionStatus`]: write it once, when the outcome is final).
    pub fn hparams_session_end(&mut self, status: SessionStatus, end_time: SystemTime) -> Result<()> {
        self.hparams_summary(
            hparams::SESSION_END_INFO_TAG,
            Data::SessionEndInfo(proto::SessionEndInfo {
                status: status.to_proto().into(),
                end_time_secs: unix_secs(end_time),
            }),
        )
    }

    /// The experiment summary; TensorBoard reads it from the root run (the `--logdir` folder
    /// itself), see [`write_experiment`].
    pub fn hparams_experiment(&mut self, experiment: &Experiment) -> Result<()> {
        self.hparams_summary(hparams::EXPERIMENT_TAG, Data::Experiment(experiment.to_proto()?))
    }

    /// An `hparams` plugin summary as TensorBoard's own writer makes it: the data in the
    /// metadata, an empty float tensor as the value, at step 0.
    fn hparams_summary(&mut self, tag: &str, data: Data) -> Result<()> {
        let content = HParamsPluginData {
            version: hparams::PLUGIN_DATA_VERSION,
            data: Some(data),
        };
        let value = summary::Value {
            tag: tag.to_string(),
            metadata: Some(SummaryMetadata {
                plugin_data: Some(PluginData {
                    plugin_name: hparams::PLUGIN_NAME.into(),
                    content: content.encode_to_vec(),
                }),
                ..Default::default()
            }),
            value: Some(summary::value::Value::Tensor(null_tensor())),
        };
        self.write_event(&Event {
            wall_time: unix_secs(SystemTime::now()),
            step: 0,
            what: Some(What::Summary(Summary { value: vec![value] })),
        })
    }

    /// Any event, as given.
    pub fn write_event(&mut self, event: &Event) -> Result<()> {
        encode_record(event, &mut self.record);
        self.out
            .write_all(&self.record)
            .with_context(|| format!("writing to {}", self.path.display()))?;
        if let Some(interval) = self.flush_interval
            && self.last_flush.elapsed() >= interval
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands every buffered record to the file (no fsync: this is for readers on this machine).
    pub fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        self.out
            .flush()
            .with_context(|| format!("writing to {}", self.path.display()))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        // Errors cannot be returned from drop; a caller that wants them flushes first.
        let _ = self.out.flush();
    }
}

/// Writes `experiment` into a new file in `root` (the sweep's `--logdir`) and removes the ones
/// this function wrote there before: TensorBoard takes a summary's metadata from the first event
/// it reads, so an older experiment (a sweep since grown) would hide the new one.
pub fn write_experiment(root: impl AsRef<Path>, experiment: &Experiment) -> Result<PathBuf> {
    let root = root.as_ref();
    // Checked before anything is removed: a bad experiment leaves the old one in place.
    experiment.to_proto()?;
    let earlier: Vec<PathBuf> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains("tfevents") && n.ends_with(EXPERIMENT_SUFFIX))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut writer = EventWriter::create_with_suffix(root, EXPERIMENT_SUFFIX)?;
    writer.hparams_experiment(experiment)?;
    writer.flush()?;
    for path in earlier {
        std::fs::remove_file(&path)
            .with_context(|| format!("removing the earlier experiment {}", path.display()))?;
    }
    Ok(writer.path().to_path_buf())
}

/// `events.out.tfevents.<secs>.<host>.<pid>.<n><suffix>`: the name TensorBoard's writers use
/// (time first: readers take a run's files in name order, as creation order), unique to this
/// process by `n`, zero-padded so that two files of one second still sort by creation.
fn file_name(now: SystemTime, suffix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let secs = unix_secs(now).max(0.0) as u64;
    format!(
        "events.out.tfevents.{secs:010}.{}.{}.{n:06}{suffix}",
        host_name(),
        std::process::id()
    )
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]);
    if !ok || name.is_empty() {
        return "localhost".into();
    }
    // A file name: no separators, nothing a shell would trip on.
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// TensorBoard's `metadata.NULL_TENSOR`: a float vector of length 0, the smallest valid tensor.
fn null_tensor() -> TensorProto {
    TensorProto {
        dtype: proto::data_type::DT_FLOAT,
        tensor_shape: Some(TensorShapeProto {
            dim: vec![Dim::default()],
            unknown_rank: false,
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_tensor_encodes_as_tensorboards() {
        // `metadata.NULL_TENSOR.SerializeToString()` in tensorboard 2.21: dtype 1, shape {dim {}}.
        assert_eq!(
            null_tensor().encode_to_vec(),
            [0x08, 0x01, 0x12, 0x02, 0x12, 0x00]
        );
    }

    #[test]
    fn file_names_are_tensorboards_and_unique() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let a = file_name(t, "");
        let b = file_name(t, ".x");
        let prefix = "events.out.tfevents.1700000000.";
        assert!(a.starts_with(prefix), "{a}");
        assert!(b.ends_with(".x"), "{b}");
        assert_ne!(a, b.trim_end_matches(".x"));
        let pid = std::process::id().to_string();
        assert_eq!(a.split('.').nth(5), Some(pid.as_str()), "{a}");
    }
}
