//! The rank of a 4000 x 2145 probe matrix (one-layer star with bias, d = 64: 2145 = 65·66/2
//! random members at 4000 points): `fast_rank` (the experiment's path, the certified Gram route
//! here) and faer's singular values (the route before). Threads: `RAYON_NUM_THREADS`.
//! The side-by-side comparison with numpy (alternating rounds, same threads, the ratio) is
//! `bench/svd.sh`; this bench tracks star-math alone and the matrix fill.
//!
//! `RAYON_NUM_THREADS=2 cargo bench -p star-math --bench rank`

use criterion::{Criterion, criterion_group, criterion_main};
use star_math::implicit_dim::benchmark_matrix;
use star_math::rank::{RankRule, fast_rank, singular_values};

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
    let m = benchmark_matrix();
    let r = fast_rank(m.as_ref(), RankRule::default(), faer::Par::rayon(0)).expect("finite");
    eprintln!(
        "rank = {} (expected 2145) by {:?}, threads = {}",
        r.rank,
        r.method,
        rayon::current_num_threads()
    );
    let mut g = c.benchmark_group("rank_4000x2145");
    g.sample_size(10);
    g.bench_function("fast_rank", |b| {
        b.iter(|| fast_rank(m.as_ref(), RankRule::default(), faer::Par::rayon(0)).expect("finite"))
    });
    g.bench_function("faer_singular_values", |b| {
        b.iter(|| singular_values(m.as_ref(), faer::Par::rayon(0)).expect("svd"))
    });
    // Filling (in parallel) plus column equilibration.
    g.bench_function("fill_probe_matrix", |b| b.iter(benchmark_matrix));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
