//! `runner check`: do fresh runs of a config still give the committed numbers?
//!
//! The config comes from `configs/<name>.toml` (not from the results folder, so an edit of the
//! config is checked too); the fresh runs are made on the CPU into a temporary folder (or read
//! from `--fresh DIR`). Then, run by run: the same runs (every committed run of the plan, `n`
//! per point equal), the same status and number of epochs, parameter counts exactly equal, and
//! every metric of every epoch, `final`, `best` and `other` compared, timings left out.
//!
//! The fresh runs use the kernel mode the committed records were made in (`cpu.kernels`,
//! `kernels.rs`). Two records are compared exactly when their runs were bit-identical by
//! construction: both made with reproducible kernels (the same bits on any x86-64 CPU), or both
//! native on the same kind of CPU (vendor, family/model, ISA level), and on the same number of
//! threads. Otherwise the kernels round differently, and `[output] check = { metric = tolerance }`
//! gives the largest absolute difference per metric (`best_`/`final_` prefixes fall back to the
//! bare name); a metric without one must still be equal. The report says, run by run, which
//! comparison it made. A record's code fingerprint does not matter here: the check is about
//! numbers, so committed results made by older code pass when they still agree.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use config::Experiment;
use config::sweep::short;
use sweep::RunSpec;
use training::kernels::KernelMode;

use super::execute::{self, ExecOptions};
use crate::report::read_summary;
use crate::results::{self, Found, RunRecord, load_saved};

/// The config a committed folder is checked against: `configs/<name>.toml`, name from its
/// saved config.
pub fn config_path(committed: &Path, given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let saved = load_saved(committed)?;
    let path = PathBuf::from("configs").join(format!("{}.toml", saved.experiment.name));
    if !path.is_file() {
        bail!(
            "{} does not exist (from the current folder): run `check` in the repository root, or give the config with --config",
            path.display()
        );
    }
    Ok(path)
}

/// Reruns every run of `plan` on the CPU into `dir`.
pub fn rerun(exp: &Experiment, plan: &[RunSpec], dir: &Path, exec: &ExecOptions) -> Result<()> {
    let mut opts = exec.clone();
    opts.results_dir = dir.to_path_buf();
    opts.force = true;
    opts.device = training::device::DeviceChoice::Cpu;
    let report = execute::execute(exp, plan, &opts)?;
    if !report.failed.is_empty() {
        bail!(
            "{} fresh run(s) failed:\n{}",
            report.failed.len(),
            execute::failure_lines(&report)
        );
    }
    Ok(())
}

/// One difference (or a missing piece).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// `run 3 (mode=star train.seed=1)`.
    pub run: String,
    /// `epochs[2].train_loss`, `best.top1`, `other.params`, `status`, ...
    pub what: String,
    pub committed: String,
    pub fresh: String,
    /// The allowed absolute difference (0: exact).
    pub tolerance: f64,
}

#[derive(Debug, Default)]
pub struct CheckReport {
    pub runs: usize,
    pub values: usize,
    /// Runs compared exactly (bit-identical by construction) rather than with tolerances.
    pub exact_runs: usize,
    /// Per compared run: its label and how it was compared, and why.
    pub comparisons: Vec<(String, Comparison)>,
    pub mismatches: Vec<Mismatch>,
}

/// How one run's committed and fresh records were compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// Every value equal: both runs were bit-identical by construction (the reason says why).
    Exact(String),
    /// Within `[output] check` tolerances: the runs' kernels differ (the reason says how).
    Tolerant(String),
}

impl Comparison {
    /// Exact when the two runs used the same kernels ([`crate::provenance::Cpu::same_kernels`])
    /// on the same number of threads.
    pub fn of(committed: &RunRecord, fresh: &RunRecord) -> Comparison {
        let (a, b) = (&committed.provenance.cpu, &fresh.provenance.cpu);
        if committed.threads != fresh.threads {
            return Comparison::Tolerant(format!(
                "committed on {} thread(s), rerun on {}",
                committed.threads, fresh.threads
            ));
        }
        if a.same_kernels(b) {
            let why = match a.kernels {
                KernelMode::Reproducible => "reproducible kernels on both".to_string(),
                KernelMode::Native => format!("native kernels on the same CPU kind, {}", a.describe()),
            };
            Comparison::Exact(why)
        } else {
            Comparison::Tolerant(format!(
                "committed on {}, rerun on {}",
                a.describe(),
                b.describe()
            ))
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Comparison::Exact(_))
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Comparison::Exact(why) => write!(f, "exact ({why})"),
            Comparison::Tolerant(why) => write!(f, "within [output] check tolerances ({why})"),
        }
    }
}

/// The kernel mode a committed folder's runs were made in: reproducible when every record says
/// so (a rerun must use it to be comparable exactly), else native. An unreadable folder is
/// native here; the check itself reports what is wrong with it.
pub fn committed_kernels(committed: &Path) -> KernelMode {
    let modes: Vec<KernelMode> = std::fs::read_dir(results::runs_dir(committed))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| serde_json::from_str::<RunRecord>(&t).ok())
        .map(|r| r.provenance.cpu.kernels)
        .collect();
    if !modes.is_empty() && modes.iter().all(|m| *m == KernelMode::Reproducible) {
        KernelMode::Reproducible
    } else {
        KernelMode::Native
    }
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.runs > 0 && self.mismatches.is_empty()
    }

    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (run, how) in &self.comparisons {
            let _ = writeln!(out, "{run}: {how}");
        }
        if self.passed() {
            let _ = write!(
                out,
                "check passed: {} values of {} runs agree ({} compared exactly, {} within [output] check tolerances)",
                self.values,
                self.runs,
                self.exact_runs,
                self.runs - self.exact_runs
            );
            return out;
        }
        let _ = writeln!(
            out,
            "{:<40}  {:<28}  {:>14}  {:>14}  tolerance",
            "run", "value", "committed", "fresh"
        );
        for m in self.mismatches.iter().take(40) {
            let _ = writeln!(
                out,
                "{:<40}  {:<28}  {:>14}  {:>14}  {}",
                m.run, m.what, m.committed, m.fresh, m.tolerance
            );
        }
        if self.mismatches.len() > 40 {
            let _ = writeln!(out, "... and {} more", self.mismatches.len() - 40);
        }
        let _ = write!(
            out,
            "check FAILED: {} difference(s) in {} compared values of {} runs",
            self.mismatches.len(),
            self.values,
            self.runs
        );
        out
    }
}

/// Metric name -> value (one epoch, `final`, `best` or `other`).
type Metrics = BTreeMap<String, f64>;

/// Whether a metric measures time (never compared).
fn is_timing(name: &str) -> bool {
    name.ends_with("_s") || name.contains("per_s") || name.ends_with("_ms") || name.starts_with("latency")
}

fn tolerance_of(name: &str, tolerances: &BTreeMap<String, f64>, exact: bool) -> f64 {
    if exact || name == "params" {
        return 0.0;
    }
    let bare = name
        .strip_prefix("best_")
        .or(name.strip_prefix("final_"))
        .unwrap_or(name);
    tolerances
        .get(name)
        .or(tolerances.get(bare))
        .copied()
        .unwrap_or(0.0)
}

fn num(v: f64) -> String {
    format!("{v:.8}")
}

/// Compares the committed records of `plan` with the fresh ones.
pub fn compare(exp: &Experiment, plan: &[RunSpec], committed: &Path, fresh: &Path) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let tolerances = &exp.output.check;
    for spec in plan {
        let run = format!("run {} ({})", spec.index, spec.label(exp));
        let missing = |what: &str, detail: String| Mismatch {
            run: run.clone(),
            what: what.to_string(),
            committed: detail.clone(),
            fresh: String::new(),
            tolerance: 0.0,
        };
        let old = match results::find(committed, spec) {
            Found::Done(r) | Found::Stale(r) => r,
            other => {
                report.mismatches.push(missing(
                    "committed record",
                    format!(
                        "{} (regenerate: runner run {} --results {} --force)",
                        describe(&other),
                        exp.source.path.display(),
                        committed.display()
                    ),
                ));
                continue;
            }
        };
        let new = match results::find(fresh, spec) {
            Found::Done(r) | Found::Stale(r) => r,
            other => {
                let mut m = missing("fresh record", String::new());
                m.fresh = describe(&other);
                report.mismatches.push(m);
                continue;
            }
        };
        report.runs += 1;
        let how = Comparison::of(&old, &new);
        let exact = how.is_exact();
        report.exact_runs += usize::from(exact);
        report.comparisons.push((run.clone(), how));
        compare_records(&run, &old, &new, tolerances, exact, &mut report);
    }
    check_summary_counts(exp, plan, committed, &mut report)?;
    Ok(report)
}

fn describe(found: &Found) -> String {
    match found {
        Found::Missing => "missing".to_string(),
        Found::Failed(r) => format!("failed: {}", r.error.as_deref().unwrap_or("")),
        Found::Unreadable(w) | Found::Mismatch(w) => format!("unusable: {w}"),
        Found::Done(_) | Found::Stale(_) => "present".to_string(),
    }
}

fn compare_records(
    run: &str,
    old: &RunRecord,
    new: &RunRecord,
    tolerances: &BTreeMap<String, f64>,
    exact: bool,
    report: &mut CheckReport,
) {
    let mut push = |what: String, committed: String, fresh: String, tolerance: f64| {
        report.mismatches.push(Mismatch {
            run: run.to_string(),
            what,
            committed,
            fresh,
            tolerance,
        })
    };
    if old.status != new.status {
        push(
            "status".into(),
            format!("{:?}", old.status),
            format!("{:?}", new.status),
            0.0,
        );
    }
    let (a, b) = (&old.outcome, &new.outcome);
    if a.epochs.len() != b.epochs.len() {
        push(
            "epochs".into(),
            a.epochs.len().to_string(),
            b.epochs.len().to_string(),
            0.0,
        );
    }
    let mut maps: Vec<(String, &Metrics, &Metrics)> = a
        .epochs
        .iter()
        .zip(&b.epochs)
        .enumerate()
        .map(|(i, (x, y))| (format!("epochs[{i}]."), x, y))
        .collect();
    maps.push(("final.".into(), &a.final_metrics, &b.final_metrics));
    maps.push(("best.".into(), &a.best, &b.best));
    maps.push(("other.".into(), &a.other, &b.other));
    for (prefix, x, y) in maps {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for key in keys.into_iter().filter(|k| !is_timing(k)) {
            let name = if prefix == "best." {
                format!("best_{key}")
            } else if prefix == "final." {
                format!("final_{key}")
            } else {
                key.clone()
            };
            let tol = tolerance_of(&name, tolerances, exact);
            report.values += 1;
            match (x.get(key), y.get(key)) {
                (Some(&u), Some(&v)) => {
                    let same = (u.is_nan() && v.is_nan()) || u == v || (u - v).abs() <= tol;
                    if !same {
                        push(format!("{prefix}{key}"), num(u), num(v), tol);
                    }
                }
                (u, v) => push(
                    format!("{prefix}{key}"),
                    u.map_or("absent".into(), |u| num(*u)),
                    v.map_or("absent".into(), |v| num(*v)),
                    tol,
                ),
            }
        }
    }
}

/// The committed summary must count every run of the plan at each point (`n`).
fn check_summary_counts(
    exp: &Experiment,
    plan: &[RunSpec],
    committed: &Path,
    report: &mut CheckReport,
) -> Result<()> {
    let summary = read_summary(&committed.join("summary.json"))?;
    let mut want: Vec<(BTreeMap<String, serde_json::Value>, usize)> = Vec::new();
    for spec in plan {
        let p = spec.group_point(exp);
        match want.iter_mut().find(|(q, _)| *q == p) {
            Some((_, n)) => *n += 1,
            None => want.push((p, 1)),
        }
    }
    for (point, n) in want {
        let label = point
            .iter()
            .map(|(k, v)| format!("{k}={}", short(v)))
            .collect::<Vec<_>>()
            .join(" ");
        let got = summary
            .iter()
            .find(|e| e.point == point)
            .and_then(|e| e.metrics.get("wall_s"))
            .map(|s| s.n);
        if got != Some(n) {
            report.mismatches.push(Mismatch {
                run: format!("summary [{label}]"),
                what: "n".to_string(),
                committed: got.map_or("absent".into(), |g| g.to_string()),
                fresh: n.to_string(),
                tolerance: 0.0,
            });
        }
    }
    Ok(())
}

/// `runner check`: the config from `configs/`, fresh runs (or `fresh`), the comparison.
pub fn run(
    committed: &Path,
    config: Option<&Path>,
    fresh: Option<&Path>,
    keep: Option<&Path>,
    exec: &ExecOptions,
) -> Result<CheckReport> {
    let exp = Experiment::load(&config_path(committed, config)?)?;
    let plan = sweep::plan(&exp)?;
    let temp;
    let dir = match (fresh, keep) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(k)) => {
            rerun(&exp, &plan, k, exec)?;
            k.to_path_buf()
        }
        (None, None) => {
            temp = tempfile::Builder::new().prefix("runner-check-").tempdir()?;
            rerun(&exp, &plan, temp.path(), exec)?;
            temp.path().to_path_buf()
        }
    };
    compare(&exp, &plan, committed, &dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_not_compared() {
        for t in [
            "train_s",
            "img_per_s",
            "samples_per_s",
            "data_s",
            "latency_mean_ms",
        ] {
            assert!(is_timing(t), "{t}");
        }
        for m in ["top1", "train_loss", "params", "svm_rbf_top1", "best_top1"] {
            assert!(!is_timing(m), "{m}");
        }
    }

    #[test]
    fn tolerances_apply_only_across_isa_and_never_to_params() {
        let tol = BTreeMap::from([("loss".to_string(), 1e-4), ("best_top1".to_string(), 0.02)]);
        assert_eq!(tolerance_of("loss", &tol, true), 0.0);
        assert_eq!(tolerance_of("loss", &tol, false), 1e-4);
        assert_eq!(tolerance_of("final_loss", &tol, false), 1e-4);
        assert_eq!(tolerance_of("best_top1", &tol, false), 0.02);
        assert_eq!(tolerance_of("top1", &tol, false), 0.0);
        assert_eq!(
            tolerance_of("params", &BTreeMap::from([("params".to_string(), 9.0)]), false),
            0.0
        );
    }
}
