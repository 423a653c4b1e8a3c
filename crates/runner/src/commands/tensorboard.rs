//! `runner tensorboard results/<name>`: TensorBoard on a results folder's event files (`tb/`),
//! with the Python of the project's `.venv`, until it exits (Ctrl-C). `--from-records` first
//! writes `tb/` from the run records, so a committed folder (whose `tb/` is not in git) opens too.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};
use tensorboard::SessionStatus;

use super::execute::events::{SweepEvents, default_root, summary_metrics};
use crate::results::{self, RunStatus, ensure_schema, load_saved};

#[derive(clap::Args, Debug)]
pub struct TensorboardArgs {
    /// A results folder (holding tb/), or a folder of event files itself.
    pub results: PathBuf,
    /// Port to serve on (TensorBoard's default 6006).
    #[arg(long, default_value_t = 6006)]
    pub port: u16,
    /// Address to listen on (default: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// First (re)write <results>/tb from the run records: per-epoch metrics, summary metrics and
    /// the HParams table (records hold no per-step values).
    #[arg(long)]
    pub from_records: bool,
    /// Do not start TensorBoard (with --from-records: only write tb/).
    #[arg(long)]
    pub no_serve: bool,
}

/// Writes `<results>/tb` from the records of `results` (replacing what its runs had there):
/// the sweep's experiment and, per recorded run, its session, epochs, summary and end. Returns
/// the folder and the number of runs written.
pub fn write_from_records(results: &Path) -> Result<(PathBuf, usize)> {
    ensure_schema(results)?;
    let exp = load_saved(results)?;
    let plan = sweep::plan(&exp)?;
    let root = default_root(results);
    let events = SweepEvents::start(root.clone(), &exp, &plan)?;
    let mut written = 0;
    for spec in &plan {
        let found = results::find(results, spec);
        let Some(record) = found.result() else {
            continue;
        };
        let Some(mut run) = events.open_run(&exp, spec, false) else {
            bail!(
                "cannot write the events of run {} under {}",
                spec.index,
                root.display()
            );
        };
        for (epoch, metrics) in record.outcome.epochs.iter().enumerate() {
            let epoch = metrics.get("epoch").map_or(epoch, |&e| e as usize);
            run.epoch(epoch, metrics);
        }
        let status = match record.status {
            RunStatus::Complete => SessionStatus::Success,
            RunStatus::Stopped | RunStatus::Failed => SessionStatus::Failure,
        };
        run.finish(&summary_metrics(&record.outcome, record.wall_s), Some(status));
        written += 1;
    }
    Ok((root, written))
}

/// The logdir for `results`: its `tb/`, or `results` itself when it holds runs' event folders.
pub fn logdir(results: &Path) -> Result<PathBuf> {
    if !results.is_dir() {
        bail!(
            "{} is not a folder (give a results folder, e.g. results/demonet_width)",
            results.display()
        );
    }
    let tb = default_root(results);
    if tb.is_dir() {
        return Ok(tb);
    }
    if holds_event_files(results) {
        return Ok(results.to_path_buf());
    }
    bail!(
        "{} has no tb/ folder of event files: `runner run` writes it while runs train \
         (unless [output] tensorboard = false or --no-tensorboard; --tensorboard DIR puts it elsewhere); \
         `runner tensorboard {} --from-records` writes it from the run records",
        results.display(),
        results.display()
    )
}

/// Whether `dir` or one of its subfolders holds an event file.
fn holds_event_files(dir: &Path) -> bool {
    let is_events = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("events.out.tfevents."))
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().map(|e| e.path()).any(|p| {
        is_events(&p)
            || (p.is_dir()
                && std::fs::read_dir(&p).is_ok_and(|es| es.flatten().any(|e| is_events(&e.path()))))
    })
}

/// The Python that has TensorBoard: `$STARLAB_PYTHON` (cargo sets it to the `.venv`'s), else
/// `.venv/bin/python` of the working directory.
fn python() -> PathBuf {
    std::env::var_os("STARLAB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".venv/bin/python"))
}

/// Checks that `python` can import tensorboard, with a message that says how to get it.
fn ensure_tensorboard(python: &Path) -> Result<()> {
    let out = Command::new(python)
        .args(["-c", "import tensorboard; print(tensorboard.__version__)"])
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => bail!(
            "{} cannot import tensorboard: run `./lab setup` (it installs the pinned tensorboard into .venv)\n{}",
            python.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => bail!(
            "cannot run {} ({e}): run `./lab setup` (it creates .venv with tensorboard), or set STARLAB_PYTHON",
            python.display()
        ),
    }
}

/// Writes `tb/` first if asked (`--from-records`), then becomes TensorBoard on the folder's
/// event files (this process is replaced, so Ctrl-C or a kill reaches the server itself and
/// leaves none behind). Returns only with `--no-serve`, or with the reason TensorBoard could not
/// be started.
pub fn run(args: &TensorboardArgs) -> Result<()> {
    use std::os::unix::process::CommandExt;

    if args.from_records {
        let (root, n) = write_from_records(&args.results)?;
        eprintln!("wrote the events of {n} recorded run(s) into {}", root.display());
    }
    let logdir = logdir(&args.results)?;
    if args.no_serve {
        return Ok(());
    }
    let python = python();
    ensure_tensorboard(&python)?;
    eprintln!(
        "TensorBoard on {}: http://{}:{}/ (Ctrl-C stops it)",
        logdir.display(),
        args.host,
        args.port
    );
    let err = Command::new(&python)
        .args(["-m", "tensorboard.main", "--logdir"])
        .arg(&logdir)
        .args(["--host", &args.host, "--port", &args.port.to_string()])
        .exec();
    bail!("cannot start {} -m tensorboard.main: {err}", python.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logdir_is_tb_or_a_folder_of_runs_and_a_clear_error_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("sweep");
        let err = logdir(&results).unwrap_err().to_string();
        assert!(err.contains("is not a folder"), "{err}");

        std::fs::create_dir_all(results.join("runs")).unwrap();
        let err = logdir(&results).unwrap_err().to_string();
        assert!(
            err.contains("no tb/ folder") && err.contains("--no-tensorboard"),
            "{err}"
        );

        let run = results.join("tb/abc");
        std::fs::create_dir_all(&run).unwrap();
        assert_eq!(logdir(&results).unwrap(), results.join("tb"));

        // The tb/ folder itself (or any --tensorboard DIR) works too.
        std::fs::write(run.join("events.out.tfevents.1.host.1.000000"), b"").unwrap();
        assert_eq!(logdir(&results.join("tb")).unwrap(), results.join("tb"));
    }
}
