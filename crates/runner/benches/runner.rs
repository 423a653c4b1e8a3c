//! Runner overheads (goals from the runner issue):
//! - `config_to_plan`: parse + validate a config and expand its sweep (part of "config to first
//!   training step < 1 s beyond building the model"; the rest, data loading and the first step,
//!   is recorded in every run's `outcome.timings`);
//! - `summary_and_plots_100_runs`: summary.json plus every plot for 100 run records (< 2 s).
//!
//! `cargo bench -p runner --bench runner`

use std::collections::BTreeMap;
use std::path::Path;

use config::{Experiment, Source};
use criterion::{Criterion, criterion_group, criterion_main};
use kinds::{KindName, RunOutcome};
use runner::report;
use runner::results::{Provenance, RunRecord, RunStatus, SCHEMA, run_path, write_json};

const CONFIG: &str = r#"
[experiment]
name = "bench"
kind = "train"
description = "DemoNet width sweep (synthetic records)"

[model]
arch = "demonet"
depth = 12
patch = 4
in_chans = 1
num_classes = 10

[train]
epochs = 10

[sweep]
width = [8, 16, 32, 48, 64]
mode = ["sum", "star"]
"train.seed" = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

[output]
paper = { sum = { 96 = 51.1, 128 = 58.5 }, star = { 96 = 57.6, 128 = 64.0 } }
"#;

fn experiment(dir: &Path) -> Experiment {
    Experiment::parse(Source::from_text(&dir.join("bench.toml"), CONFIG.to_string())).unwrap()
}

/// 100 records with 10 epochs each, numbers shaped like a real sweep.
fn write_records(exp: &Experiment, dir: &Path) {
    for spec in sweep::plan(exp).unwrap() {
        let width = spec.point["width"].as_f64().unwrap();
        let star = spec.point["mode"] == "star";
        let epochs: Vec<BTreeMap<String, f64>> = (0..10)
            .map(|e| {
                let top1 = 0.7 + 0.02 * width.log2() + if star { 0.02 } else { 0.0 } + 0.005 * e as f64;
                BTreeMap::from([
                    ("epoch".to_string(), e as f64),
                    ("train_loss".to_string(), 1.0 / (e + 1) as f64),
                    ("test_top1".to_string(), top1),
                    ("test_loss".to_string(), 0.5),
                ])
            })
            .collect();
        let record = RunRecord {
            schema: SCHEMA,
            id: spec.id.clone(),
            experiment: "bench".into(),
            kind: KindName::Train,
            index: spec.index,
            point: spec.point.clone(),
            status: RunStatus::Complete,
            error: None,
            started_at: "2026-01-01T00:00:00.000Z".into(),
            finished_at: "2026-01-01T00:01:00.000Z".into(),
            wall_s: 60.0,
            device: "cpu".into(),
            threads: 2,
            provenance: Provenance::current(),
            config: spec.config.to_json(),
            outcome: RunOutcome {
                final_metrics: epochs.last().unwrap().clone(),
                best: kinds::best_of(&epochs),
                epochs,
                ..RunOutcome::default()
            },
        };
        write_json(&run_path(dir, &spec.id), &record).unwrap();
    }
}

/// Where these numbers were measured (CPU model, cores, ISA, versions, load): the one line of
/// `bench/machine.sh`, which every bench script prints too.
fn print_machine_line() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/machine.sh");
    if let Err(e) = std::process::Command::new("bash").arg(script).status() {
        eprintln!("machine line: could not run bash {script}: {e}");
    }
}

fn bench(c: &mut Criterion) {
    print_machine_line();
    let dir = tempfile::tempdir().unwrap();
    c.bench_function("config_to_plan", |b| {
        b.iter(|| sweep::plan(&experiment(dir.path())).unwrap().len())
    });
    let exp = experiment(dir.path());
    write_records(&exp, dir.path());
    let plan = sweep::plan(&exp).unwrap();
    let mut g = c.benchmark_group("summary");
    g.sample_size(10);
    g.bench_function("summary_and_plots_100_runs", |b| {
        b.iter(|| report::write(&exp, &plan, dir.path(), true).unwrap().runs)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
