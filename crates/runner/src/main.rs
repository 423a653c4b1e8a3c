//! `runner`: the command line. Each subcommand is a thin shell over the library: `config/`
//! parses, `sweep/` expands, `execute.rs` runs, `summary.rs` averages and draws, `check.rs`
//! compares, `migrate.rs` upgrades old results folders, `slurm.rs` writes array jobs,
//! `describe.rs` / `predict.rs` / `export.rs` wrap the model crates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use runner::config::{Experiment, Override};
use runner::execute::{self, ExecOptions};
use runner::results::{SCHEMA, ensure_schema};
use runner::{check, defaults, describe, export, migrate, predict, slurm, summary, sweep};
use training::device::DeviceChoice;

const EXAMPLES: &str = "\
Examples:
  runner configs/demonet_width.toml                 run a whole sweep (same as `runner run ...`)
  runner run configs/demonet_width.toml --jobs 2    two runs at a time, threads split between them
  runner plan configs/demonet_width.toml            list the runs (index, id, point, done?)
  runner run configs/demonet_width.toml --index 3   only run 3 (what a Slurm array task does)
  runner summarize results/demonet_width            merge run records into summary.json + plots
  runner check results/ci_regression                rerun and compare with the committed summary
  runner migrate results/demonet_width              upgrade a results folder of an older runner
  runner slurm configs/demonet_width.toml           write an sbatch --array script
  runner config --defaults --kind train             every field and its default, as TOML
  runner describe demonet --width 96 --depth 12     parameters and MACs
  runner predict --model starnet_s1 --weights model.safetensors cat.jpg
  runner export --model starnet_s1 --weights model.safetensors --onnx starnet_s1.onnx";

#[derive(Parser)]
#[command(name = "runner", version, about = "starlab's experiment runner: a TOML config in, results (JSON) and plots out.", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every run of a config that is not done yet, then write summary.json and plots.
    #[command(after_help = "\
Examples:
  runner run configs/demonet_width.toml
  runner run configs/demonet_width.toml --jobs 2 --threads 2 --device cpu
  runner run configs/ci_regression.toml --results /tmp/ci --force
  runner run configs/demonet_width.toml --index 0     one run only (no summary)
  runner run configs/demonet_width.toml --override train.epochs=1

A run whose record (results/<name>/runs/<id>.json) exists and is complete is skipped, so
rerunning an interrupted sweep finishes it. The id hashes the run's resolved config.")]
    Run(RunArgs),
    /// List the runs of a config: index, id, point and whether its record exists.
    #[command(
        after_help = "Example:\n  runner plan configs/demonet_width.toml\n  runner plan configs/demonet_width.toml --json"
    )]
    Plan {
        config: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
        /// Print the plan as JSON (index, id, point, config).
        #[arg(long)]
        json: bool,
    },
    /// Merge the run records of a results folder into summary.json and draw the plots.
    #[command(
        after_help = "Example:\n  runner summarize results/demonet_width\n\nReads results/<name>/config.toml (saved by `run`) to know which runs belong to it."
    )]
    Summarize {
        /// A results folder (holding config.toml and runs/).
        results: PathBuf,
    },
    /// Rerun a results folder's config (or read fresh results) and compare with its summary.
    #[command(after_help = "\
Examples:
  runner check results/ci_regression
  runner check results/ci_regression --fresh /tmp/ci_fresh
  runner check results/ci_regression --override model.mode=sum     (must fail: sabotage)

Compares the mean of each metric named in [output.check] (metric = tolerance) point by point.
Exits 1 when a metric differs by more than its tolerance or a point is missing.")]
    Check(CheckArgs),
    /// Upgrade a results folder written by an older runner (run records of an older schema).
    #[command(after_help = "\
Example:
  runner migrate results/demonet_width

Renames the metrics of schema-1 records in place (`top1` -> `test_top1`, or `eval_top1` for
moons; README \"Metrics\"), and the metric names in its config.toml, then rebuilds summary.json
and the plots. Numbers are untouched; an upgraded folder is left as it is.")]
    Migrate {
        /// A results folder (holding config.toml and runs/).
        results: PathBuf,
    },
    /// Write an `sbatch --array` script: one array task per run, all into one results folder.
    #[command(after_help = "\
Example:
  runner slurm configs/demonet_width.toml --out sweep.sbatch --cpus-per-task 2
  sbatch sweep.sbatch && (wait) && runner summarize results/demonet_width")]
    Slurm(SlurmArgs),
    /// Print the config defaults.
    #[command(after_help = "Examples:\n  runner config --defaults\n  runner config --defaults --kind moons")]
    Config {
        /// Print every section with its default values, as TOML.
        #[arg(long, required = true)]
        defaults: bool,
        /// Only this kind (train, moons, implicit_dim, latency).
        #[arg(long)]
        kind: Option<runner::kinds::KindName>,
    },
    /// Parameters and MACs of a model: `demonet` with its knobs, or a StarNet variant.
    #[command(after_help = "\
Examples:
  runner describe demonet --width 96 --depth 12 --patch 16 --in-chans 3 --num-classes 1000 --img-size 224
  runner describe demonet --width 64 --patch 4 --in-chans 1 --num-classes 10 --img-size 28 --json
  runner describe starnet_s1
  runner describe starnet_s4 --img-size 256 --json")]
    Describe(describe::DescribeArgs),
    /// Classify images (or .npy tensors) with a StarNet and ImageNet weights.
    #[command(after_help = "\
Examples:
  runner predict --model starnet_s1 --weights model.safetensors cat.jpg dog.png
  runner predict --model starnet_s1 --weights model.safetensors batch.npy --logits-out logits.npy
  runner predict --model starnet_s1 --weights model.safetensors --backend ort --threads 2 cat.jpg
  runner predict --onnx starnet_s1.onnx cat.jpg                    (ONNX Runtime on an exported file)

Weights: timm's model.safetensors for starnet_s1.in1k (Hugging Face timm/starnet_s1.in1k).
Images get ImageNet preprocessing (bicubic resize, center crop 0.875, ImageNet mean/std);
.npy inputs are float32 N x 3 x H x W, used as they are.")]
    Predict(predict::PredictArgs),
    /// Write a StarNet as an ONNX model (from Rust: BatchNorm folded, f1+f2 as one conv).
    #[command(after_help = "\
Examples:
  runner export --model starnet_s1 --weights model.safetensors --onnx starnet_s1.onnx
  runner export --model starnet_s4 --mode sum --img-size 256 --onnx s4_sum.onnx     (random weights)
  runner export --model starnet_s050 --stage-modes sum,sum,star,star --act gelu --onnx x.onnx
  runner export --run results/starnet_ablation/runs/<id>.json --weights ckpt.safetensors --onnx x.onnx

The graph: opset 17, IR version 8 (printed, and in the model's metadata with the StarNet config);
input `input` (batch x 3 x size x size float32, the batch size free), output `logits`.
Run it with `runner predict --onnx x.onnx ...`, ONNX Runtime, or any ONNX runtime.")]
    Export(export::ExportArgs),
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// Results folder (default: [output] dir, else results/<experiment.name>).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Change a field of every run after the sweep, e.g. `train.epochs=1` (repeatable).
    #[arg(long = "override", value_name = "SECTION.FIELD=VALUE")]
    overrides: Vec<Override>,
}

#[derive(Args, Clone)]
struct ExecArgs {
    /// Runs at a time. On CPU the threads are split between them. Runs with drop path or dropout
    /// are bit-reproducible only at 1 (libtorch has one random generator per process).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// cpu, cuda or auto (CUDA when libtorch sees a GPU).
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// CPU threads in all (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Plain log lines instead of progress bars (the default when not on a terminal or CI=true).
    #[arg(long)]
    no_bars: bool,
}

#[derive(Args)]
struct RunArgs {
    config: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    exec: ExecArgs,
    /// Rerun runs whose records already exist.
    #[arg(long)]
    force: bool,
    /// Only the run with this index (see `runner plan`); no summary is written.
    #[arg(long)]
    index: Option<usize>,
    /// Skip the plots (summary.json is still written).
    #[arg(long)]
    no_plots: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Results folder with config.toml and summary.json (the committed results).
    results: PathBuf,
    /// Compare with the results in this folder instead of rerunning.
    #[arg(long)]
    fresh: Option<PathBuf>,
    /// Change a field of every rerun (e.g. model.mode=sum to see the check fail).
    #[arg(long = "override", value_name = "SECTION.FIELD=VALUE")]
    overrides: Vec<Override>,
    /// Keep the rerun's results here instead of a temporary folder.
    #[arg(long)]
    keep: Option<PathBuf>,
    #[command(flatten)]
    exec: ExecArgs,
}

#[derive(Args)]
struct SlurmArgs {
    config: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    opts: slurm::SlurmOptions,
    /// Where to write the script (default: <results>/slurm/sweep.sbatch).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Like other command-line tools, stop silently when stdout is a closed pipe (`runner plan x | head`);
    // Rust's default (ignore SIGPIPE) turns that into a panic in println!.
    // SAFETY: sets the default disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    training::malloc::keep_freed_memory();
    // `runner configs/x.toml ...` is `runner run configs/x.toml ...`.
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(first) = args.get(1)
        && (first.ends_with(".toml") || Path::new(first).is_file())
    {
        args.insert(1, "run".to_string());
    }
    let cli = Cli::parse_from(args);
    init_logging();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUNNER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .init();
}

fn load(config: &Path, overrides: &[Override]) -> Result<Experiment> {
    let mut exp = Experiment::load(config)?;
    exp.overrides = overrides.to_vec();
    Ok(exp)
}

fn exec_options(results: PathBuf, exec: &ExecArgs) -> ExecOptions {
    let mut opts = ExecOptions::new(results);
    opts.jobs = exec.jobs.max(1);
    opts.device = exec.device;
    opts.threads = exec.threads;
    opts.bars &= !exec.no_bars;
    opts
}

fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run(a) => {
            let exp = load(&a.config, &a.common.overrides)?;
            let plan = sweep::plan(&exp)?;
            let results = exp.results_dir(a.common.results.as_deref());
            let mut opts = exec_options(results.clone(), &a.exec);
            opts.force = a.force;
            let runs = match a.index {
                Some(i) => {
                    let Some(spec) = plan.get(i) else {
                        bail!(
                            "--index {i}: the plan has {} runs (0..={})",
                            plan.len(),
                            plan.len().saturating_sub(1)
                        )
                    };
                    std::slice::from_ref(spec)
                }
                None => &plan[..],
            };
            let report = execute::execute(&exp, runs, &opts)?;
            if a.index.is_none() {
                let s = summary::write(&exp, &plan, &results, !a.no_plots)?;
                eprintln!("{}", s.describe(&results));
            }
            execute::fail_on_errors(&report)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { config, common, json } => {
            let exp = load(&config, &common.overrides)?;
            let plan = sweep::plan(&exp)?;
            let results = exp.results_dir(common.results.as_deref());
            if json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                print!("{}", summary::plan_table(&exp, &plan, &results));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Summarize { results } => {
            ensure_schema(&results)?;
            let exp = summary::load_saved(&results)?;
            let plan = sweep::plan(&exp)?;
            let s = summary::write(&exp, &plan, &results, true)?;
            eprintln!("{}", s.describe(&results));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(a) => {
            ensure_schema(&a.results)?;
            if let Some(fresh) = &a.fresh {
                ensure_schema(fresh)?;
            }
            let committed = summary::load_saved(&a.results)?;
            let fresh_dir = match &a.fresh {
                // Fresh runs without a summary yet (e.g. from Slurm): summarize them first.
                Some(dir) if !dir.join("summary.json").is_file() => {
                    let exp = summary::load_saved(dir)?;
                    summary::write(&exp, &sweep::plan(&exp)?, dir, false)?;
                    dir.clone()
                }
                Some(dir) => dir.clone(),
                None => {
                    let mut exp = committed.clone();
                    exp.overrides.extend(a.overrides.iter().cloned());
                    check::rerun(&exp, a.keep.as_deref(), &exec_options(PathBuf::new(), &a.exec))?
                }
            };
            let report = check::compare(&committed, &a.results, &fresh_dir)?;
            print!("{}", report.table());
            if report.passed() {
                println!(
                    "check passed: {} metric(s) at {} point(s) within tolerance",
                    report.compared(),
                    report.points()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!("check FAILED: {}", report.failures().join("; "));
                Ok(ExitCode::from(1))
            }
        }
        Command::Migrate { results } => {
            let r = migrate::migrate(&results)?;
            eprintln!(
                "{}: {} record(s) upgraded to schema {}, {} already current{}{}",
                results.display(),
                r.upgraded,
                SCHEMA,
                r.current,
                if r.config_changed {
                    "; config.toml metric names renamed"
                } else {
                    ""
                },
                if r.removed_plots.is_empty() {
                    ""
                } else {
                    "; plots redrawn under the new metric names"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Slurm(a) => {
            let exp = load(&a.config, &a.common.overrides)?;
            let plan = sweep::plan(&exp)?;
            let results = exp.results_dir(a.common.results.as_deref());
            let out = a
                .out
                .unwrap_or_else(|| results.join("slurm").join("sweep.sbatch"));
            let script = slurm::script(&a.config, &exp, plan.len(), &results, &a.opts)
                .context("writing the sbatch script")?;
            runner::results::write_atomic(&out, script.as_bytes())?;
            println!("{}", out.display());
            eprintln!(
                "wrote an array of {} tasks; submit with `sbatch {}`, then `runner summarize {}`",
                plan.len(),
                out.display(),
                results.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { defaults: _, kind } => {
            print!("{}", defaults::toml(kind)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe(a) => {
            describe::run(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict(a) => {
            predict::run(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export(a) => {
            export::run(&a)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
