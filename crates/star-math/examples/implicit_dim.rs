//! Run the implicit-dimension experiment and print a markdown table.
//!
//! `cargo run --release -p star-math --example implicit_dim [config.toml | --print-config]`
//! (no argument: the default config; `--print-config` prints the default config as TOML). The
//! runner's `configs/implicit_dim.toml` uses the same fields; this example is the crate's own entry
//! point for `experiments/implicit_dim.md`.

use std::time::Instant;

use star_math::rank::RankMethod;
use star_math::{ImplicitDimConfig, Record, run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg: ImplicitDimConfig = match std::env::args().nth(1) {
        Some(flag) if flag == "--print-config" => {
            print!("{}", toml::to_string(&ImplicitDimConfig::default())?);
            return Ok(());
        }
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?
        }
        None => ImplicitDimConfig::default(),
    };
    let start = Instant::now();
    let records = run(&cfg, &mut |done, total| eprint!("\r{done}/{total}"))?;
    eprintln!();
    println!(
        "| family | d | l | bias | variant | measured | exact | paper | n x k | σ_r/σ_1 | gap | reliable | note |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &records {
        println!("{}", row(r));
    }
    println!(
        "\n{} probes, {:.1} s total on {} threads.",
        records.len(),
        start.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    Ok(())
}

fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.abs() < 1e7 => format!("{}", (v * 100.0).round() / 100.0),
        Some(v) => format!("{v:.3e}"),
    }
}

fn row(r: &Record) -> String {
    let variant = match (r.activation, r.family.name()) {
        (Some(a), _) => a.name().to_string(),
        (None, "case2" | "case3") => format!("{:?}", r.scope).to_lowercase(),
        _ => String::new(),
    };
    let measured = r.measured_rank.map_or("-".into(), |m| m.to_string());
    let routine = r.reliable && r.exact_count == r.measured_rank.map(|m| m as f64);
    // Routine rows keep only the derivation; everything else shows the full note.
    let note = if routine {
        r.note.split(" Measured rank").next().unwrap_or("").to_string()
    } else {
        r.note.clone()
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {}x{} | {} | {} | {} | {} |",
        r.family.name(),
        r.d,
        r.layers,
        r.bias,
        variant,
        measured,
        num(r.exact_count),
        num(r.paper_formula),
        r.samples,
        r.functions,
        r.kept_ratio.map_or("-".into(), |g| format!("{g:.0e}")),
        r.gap.map_or("-".into(), |g| {
            // The Gram route bounds σ_(r+1) from above: its gap is a lower bound.
            let at_least = if r.rank_method == Some(RankMethod::Gram) {
                "≥"
            } else {
                ""
            };
            format!("{at_least}{g:.0e}")
        }),
        if r.reliable { "yes" } else { "**no**" },
        note
    )
}
