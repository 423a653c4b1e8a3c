//! `runner slurm`: an `sbatch --array` script whose task `i` runs `runner run CONFIG --index i`
//! into one shared results folder; `runner summarize` merges afterwards.
//!
//! Paths in the script are absolute (tasks start in Slurm's working directory), and the binary is
//! the one that wrote the script, so every task runs the same code.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use config::Experiment;

#[derive(Args, Debug, Clone, Default)]
pub struct SlurmOptions {
    /// `#SBATCH --partition`.
    #[arg(long)]
    pub partition: Option<String>,
    /// `#SBATCH --time` per task, e.g. 00:30:00.
    #[arg(long)]
    pub time: Option<String>,
    /// `#SBATCH --cpus-per-task`; each task runs with that many threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// `#SBATCH --mem` per task, e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    /// `#SBATCH --gres`, e.g. gpu:1 (tasks then run with --device auto).
    #[arg(long)]
    pub gres: Option<String>,
    /// At most this many tasks at once (`--array=0-N%M`).
    #[arg(long)]
    pub max_parallel: Option<usize>,
    /// Any other `#SBATCH` line, e.g. --extra "--account=lab" (repeatable).
    #[arg(long = "extra", value_name = "SBATCH_OPTION")]
    pub extra: Vec<String>,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("making {} absolute", p.display()))
}

/// Single-quotes a path for bash.
fn sh(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

pub fn script(
    config: &Path,
    exp: &Experiment,
    runs: usize,
    results: &Path,
    opts: &SlurmOptions,
) -> Result<String> {
    anyhow::ensure!(runs > 0, "the plan has no runs");
    let exe = std::env::current_exe().context("finding the runner binary")?;
    let config = absolute(config)?;
    let results = absolute(results)?;
    let workdir = std::env::current_dir()?;
    let logs = results.join("slurm");
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "# {} ({} runs): written by `runner slurm`.\n",
        exp.experiment.name, runs
    ));
    s.push_str(&format!(
        "# Afterwards: {} summarize {}\n",
        exe.display(),
        sh(&results)
    ));
    s.push_str(&format!("#SBATCH --job-name=starlab-{}\n", exp.experiment.name));
    let limit = opts.max_parallel.map(|m| format!("%{m}")).unwrap_or_default();
    s.push_str(&format!("#SBATCH --array=0-{}{limit}\n", runs - 1));
    s.push_str(&format!("#SBATCH --output={}/%A_%a.out\n", logs.display()));
    s.push_str("#SBATCH --ntasks=1\n");
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", opts.cpus_per_task));
    for (key, value) in [
        ("partition", &opts.partition),
        ("time", &opts.time),
        ("mem", &opts.mem),
        ("gres", &opts.gres),
    ] {
        if let Some(v) = value {
            s.push_str(&format!("#SBATCH --{key}={v}\n"));
        }
    }
    for e in &opts.extra {
        s.push_str(&format!("#SBATCH {e}\n"));
    }
    s.push_str("set -euo pipefail\n");
    s.push_str(&format!("cd {}\n", sh(&workdir)));
    let overrides: String = exp
        .overrides
        .iter()
        .map(|o| format!(" --override {}", sh(Path::new(&o.text))))
        .collect();
    s.push_str(&format!(
        "exec {} run {} --index \"$SLURM_ARRAY_TASK_ID\" --results {} --threads \"${{SLURM_CPUS_PER_TASK:-{}}}\" --no-bars{overrides}\n",
        sh(&exe),
        sh(&config),
        sh(&results),
        opts.cpus_per_task
    ));
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    Ok(s)
}
