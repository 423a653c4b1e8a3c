//! Batches per second over the Fashion-MNIST training split at batch 256 on the CPU: one epoch
//! per iteration (shuffle, gather, scale and normalise), with and without augmentation (random
//! crop with 2 px padding + horizontal flip). Criterion's `thrpt` is batches/s; x256 for img/s.
//!
//! `cargo bench -p training --bench loader`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use training::data::{Augment, DataSpec, load};

/// Where these numbers were measured (CPU model, cores, ISA, versions, load): the one line of
/// `bench/machine.sh`, which every bench script prints too.
fn print_machine_line() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/machine.sh");
    if let Err(e) = std::process::Command::new("bash").arg(script).status() {
        eprintln!("machine line: could not run bash {script}: {e}");
    }
}

fn loader(c: &mut Criterion) {
    print_machine_line();
    let ds = load(&DataSpec::default()).unwrap_or_else(|e| panic!("{e}"));
    let batch = 256;
    let batches = (ds.train.len() as u64).div_ceil(batch as u64);
    let mut group = c.benchmark_group("fashion_mnist_train_b256_cpu");
    group.throughput(Throughput::Elements(batches)).sample_size(10);
    let cases = [
        ("normalize", Augment::default()),
        (
            "normalize+crop2+hflip",
            Augment {
                crop_padding: 2,
                hflip: true,
            },
        ),
    ];
    for (name, augment) in cases {
        let cfg = training::data::LoaderConfig {
            augment,
            ..ds.loader(batch, true, 0)
        };
        let mut epoch = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                epoch += 1;
                for batch in ds.train.batches(epoch, &cfg) {
                    let _ = black_box(batch);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, loader);
criterion_main!(benches);
