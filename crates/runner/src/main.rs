//! `runner`: the command line. Each subcommand is a thin shell over the layers below: the `config`
//! crate parses, `sweep` expands, `commands/execute.rs` runs, `report` averages and draws,
//! `commands/check.rs` compares, `commands/migrate.rs` upgrades old results folders,
//! `commands/slurm.rs` writes array jobs, `describe` / `predict` / `export` wrap the model
//! crates. The arguments: `cli.rs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use config::{Experiment, Override};
use runner::commands::execute::{self, ExecOptions};
use runner::commands::plan::plan_table;
use runner::commands::{
    check, defaults, describe, export, fault_hooks, migrate, predict, slurm, tensorboard,
};
use runner::report;
use runner::results::{SCHEMA, ensure_schema, load_saved};
use training::device::DeviceChoice;
use training::kernels::KernelMode;

mod cli;
use cli::{Cli, Command, ExecArgs};

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
    // Before anything touches libtorch: it reads the kernel variables once, when first used.
    if let Err(e) = training::kernels::ensure(wanted_kernels(&cli.command)) {
        eprintln!("error: {e:#}");
        return ExitCode::from(EXIT_ERROR);
    }
    init_logging();
    fault_hooks::install();
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

/// The kernel mode a command's runs need: `run` takes `--kernels`, else the config's
/// `[experiment] kernels`; `check` reruns in the mode its committed records were made in.
/// Anything that cannot be read here is left to the command itself to report.
fn wanted_kernels(command: &Command) -> KernelMode {
    match command {
        Command::Run(a) => a.kernels.unwrap_or_else(|| {
            Experiment::load(&a.config).map_or(KernelMode::Native, |e| e.experiment.kernels)
        }),
        Command::Check(a) if a.fresh.is_none() => check::committed_kernels(&a.results),
        _ => KernelMode::Native,
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

fn exec_options(results: PathBuf, exec: &ExecArgs, config_jobs: Option<usize>) -> Result<ExecOptions> {
    let p = &exec.parallel;
    let jobs = p.jobs.or(config_jobs).unwrap_or(1);
    if p.threads == Some(0) || jobs == 0 {
        bail!("--threads and --jobs (or [experiment] jobs) must be at least 1");
    }
    let mut opts = ExecOptions::new(results);
    opts.jobs = jobs;
    opts.device = exec.device;
    opts.threads = p.threads;
    opts.bars &= !p.no_bars;
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
            let mut opts = exec_options(results.clone(), &a.exec, exp.experiment.jobs)?;
            opts.force = a.force;
            opts.reuse_stale = a.reuse_stale;
            // An explicit --tensorboard DIR wins over `[output] tensorboard = false`.
            opts.tensorboard = match (&a.tensorboard, a.no_tensorboard || !exp.output.tensorboard) {
                (Some(dir), _) => Some(dir.clone()),
                (None, true) => None,
                (None, false) => Some(execute::events::default_root(&results)),
            };
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
            runner::commands::interrupt::install();
            let report = execute::execute(&exp, runs, &opts)?;
            // The summary and plots come before the verdict on failed runs, and an error writing
            // them does not hide which runs failed.
            let mut summary_failed = false;
            if a.index.is_none() {
                match report::write(&exp, &plan, &results, !a.no_plots) {
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
                print!("{}", plan_table(&exp, &plan, &results));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Summarize { results } => {
            ensure_schema(&results)?;
            let exp = load_saved(&results)?;
            let plan = sweep::plan(&exp)?;
            let s = report::write(&exp, &plan, &results, true)?;
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
                parallel: a.parallel.clone(),
                device: DeviceChoice::Cpu,
            };
            let opts = exec_options(PathBuf::new(), &exec, None)?;
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
        Command::Tensorboard(a) => {
            tensorboard::run(&a)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
