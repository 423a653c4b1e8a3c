//! Progress: indicatif bars on a terminal (one for the sweep, one per running run), plain log
//! lines through `tracing` otherwise (a pipe, a file, CI=true).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bars only when a human watches: stderr is a terminal and CI is not set.
pub fn use_bars() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    std::io::stderr().is_terminal() && !ci
}

/// The whole sweep.
pub struct Progress {
    bars: Option<(MultiProgress, ProgressBar)>,
    total: usize,
    done: Mutex<usize>,
}

impl Progress {
    pub fn new(total: usize, skipped: usize, bars: bool) -> Progress {
        let bars = bars.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            let sweep = multi.add(ProgressBar::new(total as u64));
            sweep.set_style(
                ProgressStyle::with_template(
                    "sweep {bar:30.green/white} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}  {msg}",
                )
                .unwrap()
                .progress_chars("=> "),
            );
            sweep.set_position(skipped as u64);
            sweep.enable_steady_tick(Duration::from_millis(250));
            (multi, sweep)
        });
        Progress {
            bars,
            total,
            done: Mutex::new(skipped),
        }
    }

    /// A handle for one run; `label` says which point it is.
    pub fn start_run(&self, index: usize, label: &str) -> RunProgress {
        let name = format!("run {index} [{label}]");
        let bar = self.bars.as_ref().map(|(multi, _)| {
            let bar = multi.add(ProgressBar::new(1));
            bar.set_style(
                ProgressStyle::with_template(
                    "  {prefix} {bar:20.cyan/white} epoch {pos}/{len} {msg} ETA {eta}",
                )
                .unwrap()
                .progress_chars("=> "),
            );
            bar.set_prefix(name.clone());
            bar.set_length(0);
            bar
        });
        if bar.is_none() {
            tracing::info!("{name}: started");
        }
        RunProgress {
            bar,
            name,
            started: Instant::now(),
        }
    }

    pub fn finish_run(&self, run: RunProgress, outcome: &str) {
        let mut done = self.done.lock().unwrap();
        *done += 1;
        match (&self.bars, run.bar) {
            (Some((multi, sweep)), Some(bar)) => {
                sweep.inc(1);
                let _ = multi.println(format!(
                    "{} {outcome} ({:.1} s)",
                    run.name,
                    run.started.elapsed().as_secs_f64()
                ));
                bar.finish_and_clear();
                multi.remove(&bar);
            }
            _ => tracing::info!(
                "{}: {outcome} ({:.1} s) [{}/{} runs done]",
                run.name,
                run.started.elapsed().as_secs_f64(),
                *done,
                self.total
            ),
        }
    }

    /// A line that does not tear the bars.
    pub fn println(&self, line: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => tracing::info!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some((_, sweep)) = &self.bars {
            sweep.finish_and_clear();
        }
    }
}

/// One run's progress; cheap to call every step.
pub struct RunProgress {
    bar: Option<ProgressBar>,
    name: String,
    started: Instant,
}

impl RunProgress {
    /// A handle that reports nowhere (library callers, benchmarks).
    pub fn hidden() -> RunProgress {
        RunProgress {
            bar: None,
            name: String::new(),
            started: Instant::now(),
        }
    }

    pub fn set_epochs(&self, epochs: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(epochs);
        }
    }

    /// Within an epoch: the running loss and speed, shown on the bar only.
    pub fn step(&self, epoch: usize, step: usize, steps: usize, loss: f64, samples_per_s: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "(step {}/{steps} of epoch {}) loss {loss:.4}, {samples_per_s:.0} img/s",
                step + 1,
                epoch + 1
            ));
        }
    }

    /// End of an epoch: the epoch's metrics (`train_loss`, `test_top1`, `img_per_s`, ...).
    pub fn epoch(&self, epoch: usize, epochs: usize, metrics: &BTreeMap<String, f64>) {
        let text = format_metrics(metrics);
        match &self.bar {
            Some(bar) => {
                bar.set_position((epoch + 1) as u64);
                bar.set_message(text);
            }
            None if !self.name.is_empty() => {
                tracing::info!("{}: epoch {}/{epochs} {text}", self.name, epoch + 1)
            }
            None => {}
        }
    }

    /// A free-form status line (e.g. "measuring d = 32").
    pub fn message(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(text.to_string()),
            None if !self.name.is_empty() => tracing::info!("{}: {text}", self.name),
            None => {}
        }
    }
}

/// `loss 0.4123, acc 83.10%, 2345 img/s` from whichever of those a map has.
pub fn format_metrics(m: &BTreeMap<String, f64>) -> String {
    let mut parts = Vec::new();
    for key in ["train_loss", "val_loss", "test_loss", "eval_loss"] {
        if let Some(v) = m.get(key) {
            parts.push(format!("{key} {v:.4}"));
        }
    }
    for key in ["train_top1", "val_top1", "test_top1", "eval_top1"] {
        if let Some(v) = m.get(key) {
            parts.push(format!("{key} {:.2}%", v * 100.0));
        }
    }
    if let Some(v) = m.get("img_per_s") {
        parts.push(format!("{v:.0} img/s"));
    }
    parts.join(", ")
}

/// What a run's kind reports, shown on the run's bar or log.
impl kinds::ShowProgress for RunProgress {
    fn set_epochs(&self, epochs: u64) {
        RunProgress::set_epochs(self, epochs)
    }
    fn step(&self, epoch: usize, step: usize, steps: usize, loss: f64, samples_per_s: f64) {
        RunProgress::step(self, epoch, step, steps, loss, samples_per_s)
    }
    fn epoch(&self, epoch: usize, epochs: usize, metrics: &BTreeMap<String, f64>) {
        RunProgress::epoch(self, epoch, epochs, metrics)
    }
    fn message(&self, text: &str) {
        RunProgress::message(self, text)
    }
}
