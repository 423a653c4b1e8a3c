//! The command line's shape (clap): subcommands and their arguments. `main.rs` dispatches them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use config::Override;
use runner::commands::{describe, export, predict, slurm, tensorboard};
use training::device::DeviceChoice;

pub(crate) const EXAMPLES: &str = "\
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
  runner tensorboard results/demonet_width          TensorBoard on a sweep's event files
  runner describe demonet --width 96 --depth 12     parameters and MACs
  runner predict --model starnet_s1 --weights model.safetensors cat.jpg
  runner export --model starnet_s1 --weights model.safetensors --onnx starnet_s1.onnx";

#[derive(Parser)]
#[command(name = "runner", version, about = "starlab's experiment runner: a TOML config in, results (JSON) and plots out.", after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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

Reruns configs/<name>.toml on the CPU, in the kernel mode the committed records were made in
(cpu.kernels), and compares every metric of every run with them: equal where the runs were
bit-identical by construction (reproducible kernels, on any CPU; native kernels on the same CPU
vendor, family and ISA level), on the same thread count; within [output] check = { metric =
tolerance } otherwise. It prints which comparison it made for each run. Parameter counts and the
number of runs per point are always equal. Timings are not compared. Exits 1 on any difference.")]
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
        kind: Option<kinds::KindName>,
    },
    /// Start TensorBoard (the .venv's) on a results folder's event files, <results>/tb.
    #[command(after_help = "\
Examples:
  runner tensorboard results/demonet_width
  runner tensorboard results/demonet_width --port 6007 --host 0.0.0.0
  runner tensorboard results/moons_2d --from-records    (a committed folder: tb/ is not in git)

Runs `tensorboard --logdir <results>/tb` with the tensorboard of the repository's .venv (or
$STARLAB_PYTHON), until Ctrl-C. `runner run` writes tb/ while a sweep trains (one folder
per run: per-step train/loss and train/lr, per-epoch val/top1 etc., the HParams table);
--from-records writes it from the run records (per-epoch values only).")]
    Tensorboard(tensorboard::TensorboardArgs),
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
    /// Write a StarNet as an ONNX model (from Rust: BatchNorm folded; f1, f2 two convs or --merge-f12 one).
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
pub(crate) struct CommonArgs {
    /// Results folder (default: [output] dir, else results/<experiment.name>).
    #[arg(long)]
    pub(crate) results: Option<PathBuf>,
    /// Change a field of every run after the sweep, e.g. `train.epochs=1` (repeatable).
    #[arg(long = "override", value_name = "SECTION.FIELD=VALUE")]
    pub(crate) overrides: Vec<Override>,
}

/// How many runs at a time, on how many threads, shown how (`run` and `check`).
#[derive(Args, Clone)]
pub(crate) struct ParallelArgs {
    /// Runs at a time (default: for `run` the config's `[experiment] jobs`, else 1). On CPU the
    /// threads are split between them. Runs with drop path or dropout are bit-reproducible only
    /// at 1 (libtorch has one random generator per process).
    #[arg(long)]
    pub(crate) jobs: Option<usize>,
    /// CPU threads in all (default: every core). Runs with `train.threads` use theirs.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Plain log lines instead of progress bars (the default when not on a terminal or CI=true).
    #[arg(long)]
    pub(crate) no_bars: bool,
}

#[derive(Args, Clone)]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    pub(crate) parallel: ParallelArgs,
    /// cpu, cuda or auto (CUDA when libtorch sees a GPU).
    #[arg(long, default_value = "auto")]
    pub(crate) device: DeviceChoice,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    pub(crate) config: PathBuf,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    #[command(flatten)]
    pub(crate) exec: ExecArgs,
    /// Rerun runs whose records already exist.
    #[arg(long)]
    pub(crate) force: bool,
    /// Keep records made by other code (another code fingerprint) instead of rerunning them;
    /// the summary marks them (`stale_runs`).
    #[arg(long)]
    pub(crate) reuse_stale: bool,
    /// Only the run with this index (see `runner plan`); no summary is written.
    #[arg(long)]
    pub(crate) index: Option<usize>,
    /// Skip the plots (summary.json is still written).
    #[arg(long)]
    pub(crate) no_plots: bool,
    /// Write the TensorBoard event files here instead of <results>/tb (one folder per run).
    #[arg(long, value_name = "DIR", conflicts_with = "no_tensorboard")]
    pub(crate) tensorboard: Option<PathBuf>,
    /// Write no TensorBoard event files (also `[output] tensorboard = false`).
    #[arg(long)]
    pub(crate) no_tensorboard: bool,
    /// CPU kernels (default: the config's `[experiment] kernels`, else native): `reproducible`
    /// gives the same bits on every x86-64 CPU, Intel or AMD, at some cost in speed.
    #[arg(long)]
    pub(crate) kernels: Option<training::kernels::KernelMode>,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Results folder with the committed run records and summary.json.
    pub(crate) results: PathBuf,
    /// The config to rerun (default: configs/<experiment name>.toml).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Compare with the runs in this folder instead of rerunning.
    #[arg(long)]
    pub(crate) fresh: Option<PathBuf>,
    /// Keep the rerun's results here instead of a temporary folder (removed afterwards).
    #[arg(long)]
    pub(crate) keep: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) parallel: ParallelArgs,
}

#[derive(Args)]
pub(crate) struct SlurmArgs {
    pub(crate) config: PathBuf,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    #[command(flatten)]
    pub(crate) opts: slurm::SlurmOptions,
    /// Where to write the script (default: <results>/slurm/sweep.sbatch).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}
