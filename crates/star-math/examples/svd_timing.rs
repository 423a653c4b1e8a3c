//! starlab's side of `bench/svd.sh`: wall and CPU seconds of a numerical rank, one JSON line per
//! run.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p star-math --example svd_timing -- [runs] [--route rank|svd]
//! RAYON_NUM_THREADS=2 cargo run --release -p star-math --example svd_timing -- \
//!     --implicit-dim configs/implicit_dim.toml [--npy-dir DIR --npy-top N]
//! ```
//!
//! Default: the rank bench's 4000 x 2145 matrix (`benchmark_matrix`), one untimed run that gives
//! the rank, then `runs` timed runs (default 1) of `--route`: `rank` (default) is `fast_rank`,
//! what the experiment calls (the certified Gram route, else the SVD; the JSON names the one
//! taken); `svd` is faer's singular values alone (the route before issue 23).
//! `bench/peers/svd_numpy.py` prints the same fields.
//!
//! `--implicit-dim`: every probe of that config (the runner's file or a bare `[implicit_dim]`
//! table) built, equilibrated and ranked as the experiment does (`fast_rank`), timing the fill
//! and the rank apart: how much of the experiment's run time the rank is. Probe seeds differ
//! from the experiment's (its per-probe hash is private), which changes values, not sizes.
//! `--npy-dir` also saves the `--npy-top` largest equilibrated matrices as `.npy` for the numpy
//! peer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use faer::{MatRef, Par};
use star_math::implicit_dim::{benchmark_matrix, probe_matrix, probe_side};
use star_math::rank::{RankMethod, RankRule, equilibrate, fast_rank, singular_values};
use star_math::{ImplicitDimConfig, ProbeSet};

type Error = Box<dyn std::error::Error>;

/// User + system CPU seconds of this process, all threads (Linux `/proc/self/stat`, 1/100 s ticks).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the parenthesised command name come fields 3.. (state first); utime and stime are
    // fields 14 and 15, so indices 11 and 12 here.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

/// What the bench matrix's timed runs compute.
#[derive(Clone, Copy, PartialEq)]
enum Route {
    /// `fast_rank`: the experiment's rank path.
    Rank,
    /// faer's singular values alone.
    Svd,
}

fn bench_matrix(runs: usize, route: Route) -> Result<(), Error> {
    let m = benchmark_matrix();
    let report = fast_rank(m.as_ref(), RankRule::default(), Par::rayon(0))?;
    let (side, method) = match (route, report.method) {
        (Route::Svd, _) => ("faer_svd", "faer singular values"),
        (Route::Rank, RankMethod::Gram) => ("starlab", "fast_rank: certified Gram route"),
        (Route::Rank, RankMethod::Svd) => ("starlab", "fast_rank: SVD (the Gram route declined)"),
    };
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        // The result is already known (the untimed run); only the time is of interest.
        let _ = match route {
            Route::Rank => fast_rank(m.as_ref(), RankRule::default(), Par::rayon(0))?.rank,
            Route::Svd => singular_values(m.as_ref(), Par::rayon(0))?.len(),
        };
        let wall = t.elapsed().as_secs_f64();
        let line = serde_json::json!({
            "impl": side, "shape": [m.nrows(), m.ncols()], "rank": report.rank,
            "threads": rayon::current_num_threads(), "kernel": format!("faer (pure Rust), {method}"),
            "wall_s": wall, "cpu_s": cpu_seconds() - c,
        });
        println!("{line}");
    }
    Ok(())
}

/// The `[implicit_dim]` table of a runner config, or the whole file when it is a bare one.
fn load_config(path: &Path) -> Result<ImplicitDimConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let section = table.remove("implicit_dim").unwrap_or(toml::Value::Table(table));
    let cfg: ImplicitDimConfig = section
        .try_into()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    cfg.validate().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(cfg)
}

/// Save a matrix as NumPy's `.npy` (v1.0, little-endian f64, Fortran order = faer's layout).
fn write_npy(path: &Path, m: MatRef<'_, f64>) -> Result<(), Error> {
    let dict = format!(
        "{{'descr': '<f8', 'fortran_order': True, 'shape': ({}, {}), }}",
        m.nrows(),
        m.ncols()
    );
    // Magic (6) + version (2) + length (2) + dict + padding + '\n', a multiple of 64 bytes.
    let pad = 63 - (10 + dict.len()) % 64;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&((dict.len() + pad + 1) as u16).to_le_bytes())?;
    writeln!(out, "{dict}{}", " ".repeat(pad))?;
    for col in m.col_iter() {
        for x in col.iter() {
            out.write_all(&x.to_le_bytes())?;
        }
    }
    Ok(out.flush()?)
}

struct Npy {
    dir: PathBuf,
    top: usize,
}

fn implicit_dim(cfg: &ImplicitDimConfig, npy: Option<&Npy>) -> Result<(), Error> {
    let probes: Vec<_> = cfg.probes.iter().flat_map(ProbeSet::probes).collect();
    let mut sides: Vec<usize> = probes
        .iter()
        .map(|p| probe_side(cfg, p))
        .filter(|&s| s <= cfg.max_side as f64)
        .map(|s| s as usize)
        .collect();
    sides.sort_unstable_by(|a, b| b.cmp(a));
    let npy_min_side = npy
        .and_then(|n| sides.get(n.top.max(1) - 1))
        .copied()
        .unwrap_or(usize::MAX);
    let (start, mut fill_s, mut equil_s, mut rank_s, mut saved) = (Instant::now(), 0.0, 0.0, 0.0, 0);
    let mut by_gram = 0;
    for (i, p) in probes.iter().enumerate() {
        let side = probe_side(cfg, p);
        if side > cfg.max_side as f64 {
            continue; // the experiment skips it too
        }
        let n = side as usize;
        let n_sub = ((n as f64) * cfg.subset_fraction).round() as usize;
        let t = Instant::now();
        let main = probe_matrix(p, n, n, cfg.seed.wrapping_add(i as u64));
        let sub = main.as_ref().submatrix(0, 0, n_sub, n_sub).to_owned();
        let fill = t.elapsed().as_secs_f64();
        let (mut equil, mut ranking) = (0.0, 0.0);
        for (which, mut m) in [("main", main), ("subset", sub)] {
            let t = Instant::now();
            equilibrate(&mut m);
            equil += t.elapsed().as_secs_f64();
            let (t, c) = (Instant::now(), cpu_seconds());
            let report = fast_rank(m.as_ref(), cfg.rule(), Par::rayon(0)).ok();
            let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
            ranking += s;
            by_gram += usize::from(report.as_ref().is_some_and(|r| r.method == RankMethod::Gram));
            let mut file = None;
            if let Some(npy) = npy.filter(|x| which == "main" && n >= npy_min_side && saved < x.top) {
                let path = npy
                    .dir
                    .join(format!("probe{i}_{}_d{}_n{n}.npy", p.family.name(), p.d));
                write_npy(&path, m.as_ref())?;
                saved += 1;
                file = Some(path);
            }
            if n >= 1000 || file.is_some() {
                let line = serde_json::json!({
                    "impl": "starlab", "probe": format!("{} d={} l={} bias={}", p.family.name(), p.d, p.layers, p.bias),
                    "matrix": which, "shape": [m.nrows(), m.ncols()], "rank": report.as_ref().map(|r| r.rank),
                    "method": report.as_ref().map(|r| r.method), "rank_s": s, "cpu_s": cpu, "npy": file,
                });
                println!("{line}");
            }
        }
        (fill_s, equil_s, rank_s) = (fill_s + fill, equil_s + equil, rank_s + ranking);
    }
    let wall = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "impl": "starlab", "summary": "implicit_dim", "threads": rayon::current_num_threads(),
        "probes_measured": sides.len(), "matrices_by_gram": by_gram, "wall_s": wall, "fill_s": fill_s,
        "equilibrate_s": equil_s, "rank_s": rank_s, "rank_share": rank_s / wall,
    });
    println!("{line}");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("svd_timing: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value =
        |flag: &str| -> Option<&String> { args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)) };
    if let Some(config) = value("--implicit-dim") {
        let cfg = load_config(Path::new(config))?;
        let npy = match value("--npy-dir") {
            Some(dir) => {
                let top = match value("--npy-top") {
                    Some(t) => t
                        .parse()
                        .map_err(|_| format!("--npy-top wants a number, got {t:?}"))?,
                    None => 4,
                };
                Some(Npy { dir: dir.into(), top })
            }
            None => None,
        };
        return implicit_dim(&cfg, npy.as_ref());
    }
    let route = match value("--route").map(String::as_str) {
        None | Some("rank") => Route::Rank,
        Some("svd") => Route::Svd,
        Some(other) => return Err(format!("--route wants rank or svd, got {other:?}").into()),
    };
    let runs: usize = match args.first().filter(|a| !a.starts_with("--")) {
        Some(r) => r
            .parse()
            .ok()
            .filter(|&r| r > 0)
            .ok_or(format!("runs must be a positive number, got {r:?}"))?,
        None => 1,
    };
    bench_matrix(runs, route)
}
