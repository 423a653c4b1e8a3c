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
rerunning an interrupted sweep finishes it. The id hashes the run's resolved config. A record
made by other code (another code fingerprint) is stale: it is rerun, or kept with --reuse-stale.
A run that fails or panics is recorded as failed and the others go on.

Exit status: 0 when every run is done; 1-100: that many runs failed (100: 100 or more);
101: nothing could be run (a config error, an unwritable folder; the message says which).")]
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
  runner check results/ci_regression --config configs/ci_regression.toml --keep /tmp/ci_fresh
  runner check results/ci_regression --fresh /tmp/ci_fresh      (runs made elsewhere, e.g. Slurm)

Reruns configs/<name>.toml on the CPU and compares every metric of every run with the committed
records: equal where the committed run's CPU ISA (avx512, avx2) is this one's (reruns are
bit-identical), within [output] check = { metric = tolerance } across ISAs; parameter counts and
the number of runs per point always equal. Timings are not compared. Exits 1 on any difference.")]
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
    /// Keep records made by other code (another code fingerprint) instead of rerunning them;
    /// the summary marks them (`stale_runs`).
    #[arg(long)]
    reuse_stale: bool,
    /// Only the run with this index (see `runner plan`); no summary is written.
    #[arg(long)]
    index: Option<usize>,
    /// Skip the plots (summary.json is still written).
    #[arg(long)]
    no_plots: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Results folder with the committed run records and summary.json.
    results: PathBuf,
    /// The config to rerun (default: configs/<experiment name>.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Compare with the runs in this folder instead of rerunning.
    #[arg(long)]
    fresh: Option<PathBuf>,
    /// Keep the rerun's results here instead of a temporary folder (removed afterwards).
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Runs at a time.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// CPU threads in all (default: every core). Runs with `train.threads` use theirs.
    #[arg(long)]
    threads: Option<usize>,
    /// Plain log lines instead of progress bars.
    #[arg(long)]
    no_bars: bool,
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
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help and --version exit 0; a wrong command line is an error like any other (101),
        // so that statuses 1-100 always count failed runs.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_ERROR);
        }
    };
    init_logging();
    if !faults::describe().is_empty() {
        tracing::warn!("fault injection is on (test build): {}", faults::describe());
    }
    // Panics inside runs are caught and recorded (execute.rs); log them as one line, not a trace.
    std::panic::set_hook(Box::new(|info| tracing::error!("{info}")));
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
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

/// Exit status when nothing could be done; 1..=100 count failed runs.
const EXIT_ERROR: u8 = 101;

fn exec_options(results: PathBuf, exec: &ExecArgs) -> Result<ExecOptions> {
    if exec.threads == Some(0) || exec.jobs == 0 {
        bail!("--threads and --jobs must be at least 1");
    }
    let mut opts = ExecOptions::new(results);
    opts.jobs = exec.jobs;
    opts.device = exec.device;
    opts.threads = exec.threads;
    opts.bars &= !exec.no_bars;
    Ok(opts)
}

/// Where the results are and how to make them again, once every run is done.
fn reproduce_note(results: &Path, plots: &[PathBuf]) -> String {
    let mut s = format!(
        "results: {}/summary.json and {}/runs/",
        results.display(),
        results.display()
    );
    if let Some(first) = plots.first() {
        s += &format!("; plots: {}", first.display());
        if plots.len() > 1 {
            s += &format!(" and {} more", plots.len() - 1);
        }
    }
    s + "\nto reproduce them: the same command with --force (reruns into this folder) or --results DIR (a fresh folder)"
}

fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run(a) => {
            let exp = load(&a.config, &a.common.overrides)?;
            let plan = sweep::plan(&exp)?;
            if !exp.overrides.is_empty() && a.common.results.is_none() {
                bail!(
                    "--override changes what runs compute, so its results do not belong in {}: give --results DIR",
                    exp.results_dir(None).display()
                );
            }
            let results = exp.results_dir(a.common.results.as_deref());
            let mut opts = exec_options(results.clone(), &a.exec)?;
            opts.force = a.force;
            opts.reuse_stale = a.reuse_stale;
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
            runner::interrupt::install();
            let report = execute::execute(&exp, runs, &opts)?;
            // The summary and plots come before the verdict on failed runs, and an error writing
            // them does not hide which runs failed.
            let mut summary_failed = false;
            if a.index.is_none() {
                match summary::write(&exp, &plan, &results, !a.no_plots) {
                    Ok(s) => {
                        eprintln!("{}", s.describe(&results));
                        summary_failed = s.plot_error.is_some();
                        if report.failed.is_empty() && s.missing.is_empty() {
                            eprintln!("{}", reproduce_note(&results, &s.plots));
                        }
                    }
                    Err(e) => {
                        eprintln!("error: the summary could not be written: {e:#}");
                        summary_failed = true;
                    }
                }
            }
            // Ctrl-C decides the exit status (130) when it stopped anything; failures are listed.
            let ctrl_c = report.not_started > 0 || !report.interrupted.is_empty();
            if !report.failed.is_empty() {
                eprintln!(
                    "{} run(s) FAILED (recorded as failed in runs/; the next `runner run` retries them):\n{}",
                    report.failed.len(),
                    execute::failure_lines(&report)
                );
                if !ctrl_c {
                    return Ok(ExitCode::from(report.failed.len().min(100) as u8));
                }
            }
            if ctrl_c {
                if !report.interrupted.is_empty() {
                    eprintln!("{}", execute::interrupted_lines(&report));
                }
                eprintln!(
                    "stopped by Ctrl-C: {} run(s) interrupted (each resumes from its checkpoint), {} not started; \
                     run the same command again to finish them",
                    report.interrupted.len(),
                    report.not_started
                );
                return Ok(ExitCode::from(130));
            }
            Ok(if summary_failed {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            })
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
            Ok(if s.plot_error.is_some() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Check(a) => {
            ensure_schema(&a.results)?;
            if let Some(fresh) = &a.fresh {
                ensure_schema(fresh)?;
            }
            let exec = ExecArgs {
                jobs: a.jobs,
                device: DeviceChoice::Cpu,
                threads: a.threads,
                no_bars: a.no_bars,
            };
            let opts = exec_options(PathBuf::new(), &exec)?;
            let report = check::run(
                &a.results,
                a.config.as_deref(),
                a.fresh.as_deref(),
                a.keep.as_deref(),
                &opts,
            )?;
            println!("{}", report.describe());
            Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
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
