//! `summary.md`: the summary as markdown tables that reports include verbatim, so no report
//! number is typed by hand. One table of mean ± std (n) per point, and with `[output] compare`
//! the paired differences with their 95% t-intervals and the trend along a numeric axis.

use std::fmt::Write as _;

use config::Experiment;
use config::sweep::short;
use sweep::EXTRA;

use super::labels::{key_name, point_name, scale, value_name};
use super::stats::{self, Paired};
use super::summary::Summary;

/// The whole `summary.md`.
pub fn markdown(exp: &Experiment, summary: &Summary, runs: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}: summary\n", exp.experiment.name);
    if !exp.experiment.description.is_empty() {
        let _ = writeln!(out, "{}\n", exp.experiment.description);
    }
    let _ = writeln!(
        out,
        "Written by `runner summarize` from {runs} run record(s); regenerate it rather than edit it.\n"
    );
    points_table(&mut out, exp, summary);
    for p in summary.paired.iter().chain(&summary.also_paired) {
        paired_table(&mut out, exp, p);
    }
    for p in summary.vs_baseline.iter().chain(&summary.also_vs_baseline) {
        baseline_table(&mut out, exp, p);
    }
    out
}

/// Summary metrics shown: `[output] metric`, the checked ones, the compared one, `columns`.
fn metrics(exp: &Experiment) -> Vec<String> {
    let mut m = vec![exp.output.metric.clone()];
    m.extend(exp.output.check.keys().cloned());
    m.extend(exp.output.compare.as_ref().and_then(|c| c.metric.clone()));
    m.extend(exp.output.columns.iter().cloned());
    let mut seen = Vec::new();
    m.retain(|x| {
        let new = !seen.contains(x);
        seen.push(x.clone());
        new
    });
    m
}

/// `name (%)` for accuracies (shown in percent).
fn header(metric: &str) -> String {
    if scale(metric) == 100.0 {
        format!("{metric} (%)")
    } else {
        metric.to_string()
    }
}

fn points_table(out: &mut String, exp: &Experiment, summary: &Summary) {
    let mut metrics = metrics(exp);
    metrics.retain(|m| summary.points.iter().any(|e| e.metrics.contains_key(m)));
    let mut keys: Vec<String> = Vec::new();
    if summary.points.iter().any(|e| e.point.contains_key(EXTRA)) {
        keys.push(EXTRA.to_string());
    }
    keys.extend(exp.axes.iter().filter(|a| !a.is_seed()).map(|a| a.key.clone()));
    let _ = writeln!(out, "## Per point: mean ± std over seeds (n)\n");
    let names: Vec<String> = keys
        .iter()
        .map(|k| key_name(exp, k))
        .chain(metrics.iter().map(|m| header(m)))
        .collect();
    row(out, &names);
    row(out, &vec!["---".to_string(); names.len()]);
    for entry in &summary.points {
        let mut cells: Vec<String> = keys
            .iter()
            .map(|k| {
                entry
                    .point
                    .get(k)
                    .map_or_else(|| "-".into(), |v| value_name(exp, v))
            })
            .collect();
        for m in &metrics {
            let k = scale(m);
            cells.push(entry.metrics.get(m).map_or_else(
                || "-".into(),
                |s| format!("{} ± {} ({})", num(s.mean * k), num(s.std * k), s.n),
            ));
        }
        row(out, &cells);
    }
    out.push('\n');
    // A misspelt `[output] columns` name would otherwise just vanish from the table.
    let missing: Vec<&str> = exp
        .output
        .columns
        .iter()
        .filter(|c| !metrics.contains(c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "`[output] columns` not in any record: {} (`runner summarize` lists the names in summary.json).\n",
            missing.join(", ")
        );
    }
}

/// The scale of `metric` in tables and the name of its unit: fractions are shown as points,
/// percentages in percentage points, times by their suffix, cross-entropies in nats.
fn units(metric: &str) -> (f64, &'static str) {
    let k = scale(metric);
    let unit = if k == 100.0 {
        "points"
    } else if metric.contains("_pct") {
        "percentage points"
    } else if metric.ends_with("_per_s") {
        "per second"
    } else if metric.ends_with("_ms") {
        "ms"
    } else if metric.ends_with("_s") {
        "s"
    } else if metric.ends_with("loss") {
        "nats"
    } else {
        "the metric's units"
    };
    (k, unit)
}

fn paired_table(out: &mut String, exp: &Experiment, p: &Paired) {
    let (k, unit) = units(&p.metric);
    let diff = format!("{} - {}", value_name(exp, &p.treatment), value_name(exp, &p.base));
    let _ = writeln!(out, "## Paired difference {diff} in {} ({unit})\n", p.metric);
    let _ = writeln!(
        out,
        "Runs that differ only in `{}` and share a seed ({}) are pairs. 95% CI: mean ± \
         t(0.975, n - 1) · std / √n.\n",
        key_name(exp, &p.field),
        exp.experiment.kind.pairs_share()
    );
    difference_rows(out, exp, p, &diff);
    for t in &p.trends {
        let x = key_name(exp, &t.x);
        let held = if t.rest.is_empty() {
            String::new()
        } else {
            format!(" at {}", point_name(exp, &t.rest))
        };
        let per = |v: f64| signed(v * std::f64::consts::LN_2 * k);
        let ci = t.fit.ci95.map_or_else(
            || "no interval (too few pairs)".into(),
            |[lo, hi]| format!("95% CI [{}, {}]", per(lo), per(hi)),
        );
        let _ = writeln!(
            out,
            "Trend{held}: the difference changes by {} {unit} per doubling of {x} ({ci}; OLS of the \
             {} pair differences on ln {x}).\n",
            per(t.fit.slope),
            t.fit.n
        );
    }
    change_rows(out, exp, p, &diff);
    if p.unpaired > 0 {
        let _ = writeln!(
            out,
            "{} run(s) of {} or {} had no partner with the same seed and are left out.\n",
            p.unpaired,
            short(&p.base),
            short(&p.treatment)
        );
    }
}

/// The change of the difference between two budgets, seed by seed (`Paired::changes`).
fn change_rows(out: &mut String, exp: &Experiment, p: &Paired, diff: &str) {
    let Some(first) = p.changes.first() else { return };
    let (k, unit) = units(&p.metric);
    let budget = key_name(exp, &first.field);
    let _ = writeln!(
        out,
        "Change of {diff} in {} between {budget} budgets ({unit}): per seed, the difference at the \
         larger budget minus the one at the smaller (both pairs of a seed share its data and initial \
         weights; each budget has its own schedule). 95% CI as above.\n",
        p.metric
    );
    row(
        out,
        &[
            "point",
            budget.as_str(),
            "n",
            "mean ± std",
            "95% CI",
            "per-seed changes",
        ]
        .map(String::from),
    );
    row(out, &vec!["---".to_string(); 6]);
    for c in &p.changes {
        let label = if c.point.is_empty() {
            diff.to_string()
        } else {
            point_name(exp, &c.point)
        };
        let budgets = format!("{} → {}", value_name(exp, &c.from), value_name(exp, &c.to));
        let mut cells = vec![label, budgets];
        cells.extend(stat_cells(&c.stat, &c.differences, k));
        row(out, &cells);
    }
    out.push('\n');
}

/// Every other point minus the baseline extra at the same seed.
fn baseline_table(out: &mut String, exp: &Experiment, p: &Paired) {
    let (_, unit) = units(&p.metric);
    let base = value_name(exp, &p.base);
    let _ = writeln!(out, "## Each point - {base} in {} ({unit})\n", p.metric);
    // A family of baselines (`linear, 7 epochs`, ...) is matched on the swept fields it sets.
    let fixed: Vec<String> = stats::baseline_family(exp, &short(&p.base))
        .iter()
        .flat_map(|m| m.fixes.iter().map(|(k, _)| key_name(exp, k)))
        .fold(Vec::new(), |mut v, k| {
            if !v.contains(&k) {
                v.push(k);
            }
            v
        });
    let same = if fixed.is_empty() {
        "seed".to_string()
    } else {
        format!("seed and {}", fixed.join(", "))
    };
    let _ = writeln!(
        out,
        "Every other point minus the `{base}` run of the same {same} (same training subset and batch \
         order; the initial weights differ, as the models do). 95% CI: mean ± t(0.975, n - 1) · \
         std / √n.\n"
    );
    difference_rows(out, exp, p, &base);
    if p.unpaired > 0 {
        let _ = writeln!(
            out,
            "{} run(s) had no `{base}` run with the same seed and are left out.\n",
            p.unpaired
        );
    }
}

/// One row per point: n, mean ± std, the 95% CI and each seed's difference; `whole` labels the
/// point when no other field is swept.
fn difference_rows(out: &mut String, exp: &Experiment, p: &Paired, whole: &str) {
    let (k, _) = units(&p.metric);
    row(
        out,
        &["point", "n", "mean ± std", "95% CI", "per-seed differences"].map(String::from),
    );
    row(out, &vec!["---".to_string(); 5]);
    for pp in &p.points {
        let label = if pp.point.is_empty() {
            whole.to_string()
        } else {
            point_name(exp, &pp.point)
        };
        let mut cells = vec![label];
        cells.extend(stat_cells(&pp.stat, &pp.differences, k));
        row(out, &cells);
    }
    out.push('\n');
}

/// n, mean ± std, the 95% CI and each seed's value of a paired statistic, scaled by `k`.
fn stat_cells(stat: &stats::MeanCi, differences: &[f64], k: f64) -> [String; 4] {
    let ci = stat.ci95.map_or_else(
        || "-".into(),
        |[lo, hi]| format!("[{}, {}]", signed(lo * k), signed(hi * k)),
    );
    let each: Vec<String> = differences.iter().map(|d| signed(d * k)).collect();
    [
        stat.n.to_string(),
        format!("{} ± {}", signed(stat.mean * k), num(stat.std * k)),
        ci,
        each.join(", "),
    ]
}

fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// Two decimals (percent and milliseconds alike).
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

fn signed(v: f64) -> String {
    if v.is_finite() {
        format!("{v:+.2}")
    } else {
        "-".into()
    }
}
