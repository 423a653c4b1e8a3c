//! Wall and CPU seconds of faer's singular values on the 4000 x 2145 bench matrix, run by run.
//!
//! A companion of `benches/rank.rs` for shared machines: process CPU time is less sensitive to
//! other jobs than wall time. Same matrix as the bench; the numpy peer prints the same two numbers.
//!
//! `RAYON_NUM_THREADS=2 cargo run --release -p star-math --example svd_timing [runs]`

use std::time::Instant;

use star_math::implicit_dim::benchmark_matrix;
use star_math::rank::singular_values;

/// User + system CPU seconds of this process (Linux `/proc/self/stat`, clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the parenthesised command name come fields 3.. (state first); utime and stime are
    // fields 14 and 15, so indices 11 and 12 here. They cover all threads of the process.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let m = benchmark_matrix();
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        let sv = singular_values(m.as_ref(), faer::Par::rayon(0)).expect("svd");
        println!(
            "faer singular_values 4000x2145 ({} threads): wall {:.3} s, cpu {:.2} s, σ_max {:.4}",
            rayon::current_num_threads(),
            t.elapsed().as_secs_f64(),
            cpu_seconds() - c,
            sv[0]
        );
    }
}
