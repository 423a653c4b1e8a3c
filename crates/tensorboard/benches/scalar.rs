//! The event writer's cost per call, as a training run would pay it: one scalar (the per-step
//! loss or learning rate) and one epoch's metrics in one event, written to a real file in a
//! temporary directory with the default flush interval; each sample's final flush (on drop) is
//! timed too. Criterion's time is per call.
//!
//! `cargo bench -p tensorboard --bench scalar`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use tensorboard::{EventWriter, SessionStart};

/// Where these numbers were measured: the one line of `bench/machine.sh`.
fn print_machine_line() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/machine.sh");
    if let Err(e) = std::process::Command::new("bash").arg(script).status() {
        eprintln!("machine line: could not run bash {script}: {e}");
    }
}

/// Times `iters` calls of `write` on a fresh writer (a new file per sample, so the files stay
/// small), its drop included.
fn timed(iters: u64, mut write: impl FnMut(&mut EventWriter, i64)) -> std::time::Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap();
    let start = Instant::now();
    for i in 0..iters {
        write(&mut w, i as i64);
    }
    drop(w);
    start.elapsed()
}

fn writer(c: &mut Criterion) {
    print_machine_line();
    let mut group = c.benchmark_group("event_writer");

    group.bench_function("scalar", |b| {
        b.iter_custom(|iters| {
            timed(iters, |w, step| {
                w.scalar("train/loss", step, black_box(0.25 + step as f64 * 1e-6))
                    .unwrap()
            })
        })
    });

    let tags = [
        "train/loss",
        "train/top1",
        "val/loss",
        "val/top1",
        "test/loss",
        "test/top1",
        "train/images_per_s",
        "train/epoch_s",
    ];
    group.bench_function("scalars_8_tags", |b| {
        b.iter_custom(|iters| {
            timed(iters, |w, step| {
                let v = black_box(0.5 + step as f64 * 1e-6);
                w.scalars(step, tags.iter().map(|&t| (t, v))).unwrap()
            })
        })
    });

    let start = SessionStart {
        hparams: BTreeMap::from([
            ("width".to_string(), 64i64.into()),
            ("mode".to_string(), "star".into()),
            ("train.seed".to_string(), 3i64.into()),
        ]),
        group_name: "width=64 mode=star".into(),
        start_time: SystemTime::now(),
    };
    group.bench_function("hparams_session_start", |b| {
        b.iter_custom(|iters| timed(iters, |w, _| w.hparams_session_start(&start).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, writer);
criterion_main!(benches);
