//! Summaries and figures from synthetic run records (no training): the paired statistics in
//! `summary.json` and `summary.md` against hand-computed intervals, and what each figure shows,
//! read from its plot input (series, looks, colours, labels, axes), not from pixels.

use std::collections::BTreeMap;
use std::path::Path;

use config::{Experiment, Source};
use kinds::{KindName, RunOutcome};
use plots::Look;
use runner::report::figures::{self, Inputs};
use runner::report::{self, Summary};
use runner::results::{self, Provenance, RunRecord, RunStatus, SCHEMA, run_path, write_json};
use sweep::RunSpec;

const WIDTH: &str = r#"
[experiment]
name = "syn"
kind = "train"
description = "synthetic DemoNet sweep on Fashion-MNIST"

[model]
arch = "demonet"
depth = 2
patch = 4
in_chans = 1
num_classes = 10

[sweep]
width = [8, 16]
mode = ["sum", "star"]
"train.seed" = [0, 1, 2]

[output]
# these synthetic records evaluate the test split every epoch (no validation split)
metric = "best_test_top1"
compare = { field = "mode", base = "sum", treatment = "star" }
paper = { sum = { 96 = 51.1, 128 = 58.5 }, star = { 96 = 57.6, 128 = 64.0 } }
"#;

fn experiment(dir: &Path, text: &str) -> Experiment {
    Experiment::parse(Source::from_text(&dir.join("syn.toml"), text.to_string())).unwrap()
}

/// Best test accuracy per run, chosen so the paired differences are easy to work out by hand:
/// width 8: sum 60, 62, 58 and star 63, 61, 64 (differences +3, -1, +6 points);
/// width 16: sum 70, 71, 69 and star 72, 72, 70 (differences +2, +1, +1).
fn width_top1(point: &BTreeMap<String, serde_json::Value>) -> f64 {
    let seed = point["train.seed"].as_u64().unwrap() as usize;
    let star = point["mode"] == "star";
    match (point["width"].as_u64().unwrap(), star) {
        (8, false) => [0.60, 0.62, 0.58][seed],
        (8, true) => [0.63, 0.61, 0.64][seed],
        (16, false) => [0.70, 0.71, 0.69][seed],
        _ => [0.72, 0.72, 0.70][seed],
    }
}

/// Writes a record per run whose test accuracy climbs to `top1` over three epochs.
fn write_records(
    exp: &Experiment,
    dir: &Path,
    top1: impl Fn(&BTreeMap<String, serde_json::Value>) -> f64,
) -> Vec<RunSpec> {
    write_records_with(exp, dir, top1, |_| BTreeMap::new())
}

/// [`write_records`], each record also carrying the run-level metrics `other` gives its point.
fn write_records_with(
    exp: &Experiment,
    dir: &Path,
    top1: impl Fn(&BTreeMap<String, serde_json::Value>) -> f64,
    other: impl Fn(&BTreeMap<String, serde_json::Value>) -> BTreeMap<String, f64>,
) -> Vec<RunSpec> {
    let plan = sweep::plan(exp).unwrap();
    for spec in &plan {
        let best = top1(&spec.point);
        let epochs: Vec<BTreeMap<String, f64>> = (0..3)
            .map(|e| {
                BTreeMap::from([
                    ("epoch".to_string(), e as f64),
                    ("train_loss".to_string(), 1.0 / (e + 1) as f64),
                    ("test_top1".to_string(), best - 0.01 * (2 - e) as f64),
                ])
            })
            .collect();
        let record = RunRecord {
            schema: SCHEMA,
            id: spec.id.clone(),
            experiment: exp.experiment.name.clone(),
            kind: KindName::Train,
            index: spec.index,
            point: spec.point.clone(),
            status: RunStatus::Complete,
            error: None,
            started_at: "2026-01-01T00:00:00.000Z".into(),
            finished_at: "2026-01-01T00:01:00.000Z".into(),
            wall_s: 60.0,
            device: "cpu".into(),
            threads: 1,
            provenance: Provenance::current(),
            config: spec.config.to_json(),
            outcome: RunOutcome {
                final_metrics: epochs.last().unwrap().clone(),
                best: kinds::best_of(&epochs),
                other: other(&spec.point),
                epochs,
                ..RunOutcome::default()
            },
        };
        write_json(&run_path(dir, &spec.id), &record).unwrap();
    }
    plan
}

/// The figure inputs of a summary built from `records`.
fn inputs<'a>(exp: &'a Experiment, records: &'a [(RunSpec, RunRecord)], s: &'a Summary) -> Inputs<'a> {
    Inputs {
        exp,
        records,
        summary: &s.points,
        paired: s.paired.as_ref(),
        also_paired: &s.also_paired,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn output_columns_add_metrics_to_summary_md_and_a_misspelt_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = experiment(dir.path(), WIDTH);
    exp.output.columns = vec!["final_train_loss".into(), "final_train_los".into()];
    let plan = write_records(&exp, dir.path(), width_top1);
    report::write(&exp, &plan, dir.path(), true).unwrap();
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    // Every record's last epoch has train_loss 1/3.
    assert!(
        md.contains("| width | mode | best_test_top1 (%) | final_train_loss |"),
        "{md}"
    );
    assert!(md.contains("| 0.33 ± 0.00 (3) |"), "{md}");
    assert!(
        md.contains("`[output] columns` not in any record: final_train_los "),
        "{md}"
    );
}

#[test]
fn summary_carries_paired_differences_with_hand_computed_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), WIDTH);
    let plan = write_records(&exp, dir.path(), width_top1);
    report::write(&exp, &plan, dir.path(), true).unwrap();
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let s: Summary = serde_json::from_str(&text).unwrap();
    assert_eq!(s.points.len(), 4);
    let p = s.paired.expect("compare is set");
    assert_eq!((p.metric.as_str(), p.unpaired), ("best_test_top1", 0));
    assert_eq!(p.points.len(), 2);
    // Width 8, differences 3, -1, 6 points: mean 8/3 = 2.666667; squared deviations 0.111111 +
    // 13.444444 + 11.111111 = 24.666667, std sqrt(24.666667 / 2) = 3.511885, se = std / sqrt 3
    // = 2.027588; t(0.975, 2) = 4.302653 (t table), half-width 8.724005 -> [-6.057338, 11.390672].
    let w8 = &p.points[0];
    assert_eq!(
        w8.point,
        BTreeMap::from([("width".to_string(), serde_json::json!(8))])
    );
    assert_eq!(w8.stat.n, 3);
    assert!(close(w8.stat.mean * 100.0, 2.666667) && close(w8.stat.std * 100.0, 3.511885));
    let [lo, hi] = w8.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, -6.057338) && close(hi * 100.0, 11.390672),
        "{lo} {hi}"
    );
    // Width 16, differences 2, 1, 1: mean 1.333333, std 0.577350, se 0.333333,
    // half 4.302653 / 3 = 1.434218 -> [-0.100884, 2.767551].
    let [lo, hi] = p.points[1].stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, -0.100884) && close(hi * 100.0, 2.767551),
        "{lo} {hi}"
    );
    // Trend over the 6 pairs against ln(width): with two widths a doubling apart the slope per
    // doubling is the change of the mean difference, 1.333333 - 2.666667 = -1.333333. Its
    // interval: SSE = 24.666667 + 0.666667 = 25.333333 on 4 degrees of freedom, Sxx = 6 (ln2 / 2)^2,
    // so the per-doubling se is sqrt(25.333333 / 4 / 1.5) = 2.054805; t(0.975, 4) = 2.776445,
    // half 5.705053 -> [-7.038386, 4.371719].
    let t = &p.trends[0];
    let ln2 = std::f64::consts::LN_2;
    assert_eq!((t.x.as_str(), t.fit.n), ("width", 6));
    assert!(close(t.fit.slope * ln2 * 100.0, -1.333333));
    let [lo, hi] = t.fit.ci95.unwrap();
    assert!(
        close(lo * ln2 * 100.0, -7.038386) && close(hi * ln2 * 100.0, 4.371719),
        "{lo} {hi}"
    );

    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    for line in [
        "| width | mode | best_test_top1 (%) |",
        "| 8 | sum | 60.00 ± 2.00 (3) |",
        "| 16 | star | 71.33 ± 1.15 (3) |",
        "## Paired difference star - sum in best_test_top1 (points)",
        "| width 8 | 3 | +2.67 ± 3.51 | [-6.06, +11.39] | +3.00, -1.00, +6.00 |",
        "| width 16 | 3 | +1.33 ± 0.58 | [-0.10, +2.77] | +2.00, +1.00, +1.00 |",
        "the difference changes by -1.33 points per doubling of width (95% CI [-7.04, +4.37]",
    ] {
        assert!(md.contains(line), "summary.md lacks {line:?}:\n{md}");
    }
    for f in [
        "best_test_top1_vs_width.png",
        "best_test_top1_vs_width.svg",
        "curves.png",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
}

#[test]
fn the_width_figure_follows_the_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), WIDTH);
    let plan = write_records(&exp, dir.path(), width_top1);
    let records = results::collect(&plan, dir.path()).records;
    let s = report::build(&exp, &records);
    let inputs = inputs(&exp, &records, &s);
    let (x, plot) = figures::sweep_figure::line_plot(inputs).unwrap();
    assert_eq!(
        (x.as_str(), plot.x_label.as_str(), plot.x_log),
        ("width", "width", false)
    );
    assert_eq!(plot.xs(), [8.0, 16.0], "ticks at the measured widths");
    // One line per mode: sum dashed, star solid, both neutral so markers carry the width.
    let looks: Vec<(&str, Look, Option<usize>)> = plot
        .lines
        .iter()
        .map(|l| (l.name.as_str(), l.look, l.color))
        .collect();
    assert_eq!(looks, [("sum", Look::Dashed, None), ("star", Look::Solid, None)]);
    // Means in percent with the t-interval of three seeds: sum at width 8 is 60 ± 4.302653 *
    // 2 / sqrt 3 = 60 ± 4.968275.
    let (x8, e) = &plot.lines[0].points[0];
    assert_eq!(*x8, 8.0);
    assert!(close(e.mean, 60.0) && close(e.hi - e.mean, 4.968275), "{e:?}");
    assert_eq!(e.values.len(), 3);
    let diff = plot
        .difference
        .as_ref()
        .expect("compare gives a difference panel");
    assert!(diff.title.starts_with("star - sum"), "{}", diff.title);
    assert_eq!(diff.points.len(), 2);
    assert!(close(diff.points[1].1.mean, 1.333333));
    assert!(
        diff.note.contains("-1.33 points per doubling of width"),
        "{}",
        diff.note
    );
    let paper = plot.reference.as_ref().expect("the config gives paper numbers");
    let paper_looks: Vec<(&str, Look)> = paper.lines.iter().map(|l| (l.name.as_str(), l.look)).collect();
    assert_eq!(paper_looks, [("star", Look::Solid), ("sum", Look::Dashed)]);
    assert!(plot.frame.title.contains("syn") && plot.frame.title.contains("Fashion-MNIST"));
    assert!(
        plot.frame.caption.contains("n = 3 seeds per point") && plot.frame.caption.contains("95% t-interval")
    );
    // the budget every run shares leads the caption (no [train] in the config: the default 10)
    assert!(
        plot.frame.caption.starts_with("10 epochs; n = 3"),
        "{}",
        plot.frame.caption
    );

    // Curves: the same width shares a colour, the mode sets the dash; epochs are 0, 1, 2.
    let curves = figures::curves::curves(inputs).unwrap();
    let styles: Vec<(&str, usize, Look)> = curves
        .curves
        .iter()
        .map(|c| (c.name.as_str(), c.color, c.look))
        .collect();
    assert_eq!(
        styles,
        [
            ("width 8 sum", 0, Look::Dashed),
            ("width 8 star", 0, Look::Solid),
            ("width 16 sum", 1, Look::Dashed),
            ("width 16 star", 1, Look::Solid)
        ]
    );
    let epochs: Vec<f64> = curves.curves[0].epochs.iter().map(|p| p.epoch).collect();
    assert_eq!(epochs, [0.0, 1.0, 2.0]);
    // width 8 sum's last epoch: test top-1 60, 62, 58 -> mean 60, std 2, half-width 4.302653 *
    // 2 / sqrt 3 = 4.968275 (t table) -> band [55.031725, 64.968275].
    let last = curves.curves[0].epochs[2];
    assert!(close(last.eval_top1, 60.0), "{last:?}");
    assert!(
        close(last.eval_top1_ci[0], 55.031725) && close(last.eval_top1_ci[1], 64.968275),
        "{last:?}"
    );
    assert!(
        curves
            .frame
            .caption
            .contains("bands: 95% t-interval, epochs from 0")
    );
}

const ABLATION: &str = r#"
[experiment]
name = "abl"
kind = "train"
description = "synthetic StarNet ablation"

[model]
arch = "demonet"
width = 8
depth = 2
patch = 4
in_chans = 1
num_classes = 10

[sweep]
mode = ["sum", "star"]
act = ["gelu", "none"]
"train.seed" = [0, 1]

[[sweep.extra]]
label = "linear"
model = { arch = "linear", in_chans = 1, image_size = 28, num_classes = 10 }

[output]
# these synthetic records evaluate the test split every epoch (no validation split)
metric = "best_test_top1"
compare = { field = "mode", base = "sum", treatment = "star" }
labels = { none = "no activation" }
paper_label = "paper (Table 4)"
paper = { paper = { "star gelu" = 71.7, "sum none" = 32.4 } }

[[output.groups]]
name = "with activation"
rows = ["sum gelu", "star gelu"]

[[output.groups]]
name = "baseline"
rows = ["linear"]
"#;

#[test]
fn ablations_are_grouped_dot_plots_with_paired_rows() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), ABLATION);
    let top1 = |p: &BTreeMap<String, serde_json::Value>| {
        let seed = p["train.seed"].as_u64().unwrap() as f64;
        match (
            p.get("mode").and_then(|m| m.as_str()),
            p.get("act").and_then(|a| a.as_str()),
        ) {
            (Some("star"), _) => 0.85 + 0.01 * seed,
            (Some("sum"), _) => 0.84,
            _ => 0.80,
        }
    };
    let plan = write_records(&exp, dir.path(), top1);
    let records = results::collect(&plan, dir.path()).records;
    let s = report::build(&exp, &records);
    let inputs = inputs(&exp, &records, &s);
    assert!(
        figures::sweep_figure::line_plot(inputs).is_none(),
        "no numeric axis"
    );
    let plot = figures::sweep_figure::dot_plot(inputs).unwrap();
    let groups: Vec<(&str, Vec<&str>)> = plot
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.rows.iter().map(|r| r.label.as_str()).collect()))
        .collect();
    assert_eq!(
        groups,
        [
            ("with activation", vec!["sum act gelu", "star act gelu"]),
            ("baseline", vec!["linear"]),
            ("other", vec!["sum no activation", "star no activation"]),
        ]
    );
    // Colour = the activation (sum and star of one act share it), fill = the mode.
    let gelu = &plot.groups[0].rows;
    assert_eq!(
        (gelu[0].color, gelu[0].filled, gelu[1].color, gelu[1].filled),
        (0, false, 0, true)
    );
    let none = &plot.groups[2].rows;
    assert_eq!(none[0].color, none[1].color);
    assert_ne!(none[0].color, gelu[0].color);
    // The paper's numbers sit beside the matching rows.
    assert_eq!((gelu[1].note.as_str(), none[0].note.as_str()), ("71.7", "32.4"));
    assert_eq!(plot.note_header, "paper (Table 4)");
    // Paired rows, one per activation: star 85 and 86 (seeds 0, 1) against sum 84 give
    // differences +1 and +2 points, mean +1.5.
    let (title, diff) = plot.difference.as_ref().unwrap();
    assert!(title.starts_with("star - sum"), "{title}");
    let rows: Vec<(&str, f64)> = diff[0]
        .rows
        .iter()
        .map(|r| (r.label.as_str(), r.estimate.mean))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "act gelu");
    assert!(close(rows[0].1, 1.5) && close(rows[1].1, 1.5), "{rows:?}");
    // The x axis is the metric, not truncated bars: no zero baseline is implied by dots.
    assert_eq!(plot.x_label, "best_test_top1 (%)");
    report::write(&exp, &plan, dir.path(), true).unwrap();
    assert!(dir.path().join("best_test_top1_dots.png").is_file());
}

#[test]
fn a_comparison_of_an_unswept_field_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, needle) in [
        (
            r#"compare = { field = "act", base = "sum", treatment = "star" }"#,
            "field `act` is not swept",
        ),
        (
            r#"compare = { field = "mode", base = "sum", treatment = "starr" }"#,
            "treatment = \"starr\"",
        ),
    ] {
        let text = WIDTH.replace(
            r#"compare = { field = "mode", base = "sum", treatment = "star" }"#,
            bad,
        );
        let err = Experiment::parse(Source::from_text(&dir.path().join("bad.toml"), text)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains(needle) && msg.contains("bad.toml"), "{msg}");
    }
}

#[test]
fn a_run_without_its_partner_is_left_out_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), WIDTH);
    let plan = write_records(&exp, dir.path(), width_top1);
    let lone = plan
        .iter()
        .find(|s| s.point["width"] == 16 && s.point["mode"] == "star" && s.point["train.seed"] == 2)
        .unwrap();
    std::fs::remove_file(run_path(dir.path(), &lone.id)).unwrap();
    let results::Collected { records, missing, .. } = results::collect(&plan, dir.path());
    assert_eq!(missing, [lone.index]);
    let p = report::build(&exp, &records).paired.unwrap();
    assert_eq!(p.unpaired, 1, "sum at width 16, seed 2 has no star partner");
    // Width 16 keeps seeds 0 and 1: differences +2 and +1.
    assert_eq!(p.points[1].stat.n, 2);
    assert!(close(p.points[1].stat.mean * 100.0, 1.5));
    report::write(&exp, &plan, dir.path(), false).unwrap();
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("1 run(s) of sum or star had no partner"), "{md}");
}

/// `WIDTH` with a linear extra, every point against it, and width 8 against 16 per mode.
fn with_baseline() -> String {
    let extra = "[[sweep.extra]]\nlabel = \"linear\"\nmodel = { arch = \"linear\", in_chans = 1, image_size = 28, num_classes = 10 }\n\n[output]";
    WIDTH.replacen("[output]", extra, 1).replacen(
        "compare = { field = \"mode\", base = \"sum\", treatment = \"star\" }",
        "compare = { field = \"mode\", base = \"sum\", treatment = \"star\" }\nbaseline = \"linear\"\nalso_compare = [{ field = \"width\", base = 8, treatment = 16 }]",
        1,
    )
}

/// [`width_top1`], and the linear extra at 61, 60, 59 for seeds 0, 1, 2.
fn with_linear(point: &BTreeMap<String, serde_json::Value>) -> f64 {
    if point.get("extra").is_some() {
        let seed = point["train.seed"].as_u64().unwrap() as usize;
        return [0.61, 0.60, 0.59][seed];
    }
    width_top1(point)
}

#[test]
fn a_baseline_extra_and_more_comparisons_get_hand_computed_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &with_baseline());
    let plan = write_records(&exp, dir.path(), with_linear);
    report::write(&exp, &plan, dir.path(), false).unwrap();
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let s: Summary = serde_json::from_str(&text).unwrap();

    // Every point minus linear at the same seed, in plan order (width 8 sum, 8 star, 16 sum,
    // 16 star). Width 8 sum: -1, +2, -1 points: mean 0, std sqrt(6 / 2) = 1.732051, se 1,
    // half 4.302653 (t(0.975, 2), t table) -> [-4.302653, +4.302653].
    // Width 16 star: +11, +12, +11: mean 11.333333, std 0.577350, half 1.434218
    // -> [9.899116, 12.767551].
    let b = s.vs_baseline.as_ref().expect("baseline is set");
    assert_eq!((b.field.as_str(), b.unpaired, b.points.len()), ("extra", 0, 4));
    assert_eq!(b.base, "linear");
    let w8_sum = &b.points[0];
    assert_eq!(w8_sum.point["width"], 8);
    assert_eq!(w8_sum.point["mode"], "sum");
    assert!(close(w8_sum.stat.mean * 100.0, 0.0) && close(w8_sum.stat.std * 100.0, 1.732051));
    let [lo, hi] = w8_sum.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, -4.302653) && close(hi * 100.0, 4.302653),
        "{lo} {hi}"
    );
    let [lo, hi] = b.points[3].stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, 9.899116) && close(hi * 100.0, 12.767551),
        "{lo} {hi}"
    );

    // Width 16 - width 8 per mode. Sum: +10, +9, +11 -> mean 10, std 1, half 2.484138
    // -> [7.515862, 12.484138]. Star: +9, +11, +6 -> mean 8.666667, std sqrt(12.666667 / 2)
    // = 2.516611, half 4.302653 * 2.516611 / sqrt 3 = 6.251609 -> [2.415057, 14.918276].
    let [w] = &s.also_paired[..] else {
        panic!("one also_compare: {:?}", s.also_paired)
    };
    assert_eq!((w.field.as_str(), w.points.len(), w.unpaired), ("width", 2, 0));
    let [lo, hi] = w.points[0].stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, 7.515862) && close(hi * 100.0, 12.484138),
        "{lo} {hi}"
    );
    let [lo, hi] = w.points[1].stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, 2.415057) && close(hi * 100.0, 14.918276),
        "{lo} {hi}"
    );

    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    for line in [
        "## Paired difference star - sum in best_test_top1 (points)",
        "## Paired difference 16 - 8 in best_test_top1 (points)",
        "| star | 3 | +8.67 ± 2.52 | [+2.42, +14.92] | +9.00, +11.00, +6.00 |",
        "## Each point - linear in best_test_top1 (points)",
        "| width 16 star | 3 | +11.33 ± 0.58 | [+9.90, +12.77] | +11.00, +12.00, +11.00 |",
    ] {
        assert!(md.contains(line), "summary.md lacks {line:?}:\n{md}");
    }

    // The width figure draws linear as a level: mean 60 %, interval 60 ± 4.302653 * 1 / sqrt 3.
    let records = results::collect(&plan, dir.path()).records;
    let inputs = inputs(&exp, &records, &s);
    let (_, plot) = figures::sweep_figure::line_plot(inputs).unwrap();
    let (name, level) = plot.baseline.expect("baseline drawn");
    assert_eq!(name, "linear");
    assert!(
        close(level.mean, 60.0) && close(level.hi - level.mean, 2.484138),
        "{level:?}"
    );
    assert_eq!(plot.lines.len(), 2, "the extra is not a line of its own");
}

/// [`with_baseline`] with a second reference extra, `floor` (50 % at every seed), as `also_baseline`.
fn with_two_baselines() -> String {
    let floor = "[[sweep.extra]]\nlabel = \"floor\"\nmodel = { arch = \"linear\", in_chans = 1, image_size = 28, num_classes = 10 }\n\"train.lr\" = 0.5\n\n[output]";
    with_baseline().replacen("[output]", floor, 1).replacen(
        "baseline = \"linear\"",
        "baseline = \"linear\"\nalso_baseline = [\"floor\"]",
        1,
    )
}

#[test]
fn every_point_is_paired_against_each_baseline_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &with_two_baselines());
    let plan = write_records(&exp, dir.path(), |point| match point.get("extra") {
        Some(e) if e == "floor" => 0.50,
        _ => with_linear(point),
    });
    report::write(&exp, &plan, dir.path(), false).unwrap();
    let s: Summary =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    // Against linear: the four grid points and floor; against floor: the grid points and linear.
    let b = s.vs_baseline.as_ref().unwrap();
    assert_eq!((b.base.as_str(), b.points.len()), (Some("linear"), 5));
    let [f] = &s.also_vs_baseline[..] else {
        panic!("one also_baseline: {:?}", s.also_vs_baseline)
    };
    assert_eq!(
        (f.field.as_str(), f.base.as_str(), f.unpaired),
        ("extra", Some("floor"), 0)
    );
    assert_eq!(f.points.len(), 5);
    // Width 8 sum - floor: +10, +12, +8 points: mean 10, std 2, half 4.302653 * 2 / sqrt 3 =
    // 4.968275 -> [5.031725, 14.968275]. Linear - floor: +11, +10, +9: mean 10, std 1,
    // half 2.484138 -> [7.515862, 12.484138].
    let w8_sum = &f.points[0];
    assert_eq!(w8_sum.point["width"], 8);
    assert_eq!(w8_sum.point["mode"], "sum");
    let [lo, hi] = w8_sum.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, 5.031725) && close(hi * 100.0, 14.968275),
        "{lo} {hi}"
    );
    let linear = &f.points[4];
    assert_eq!(linear.point["extra"], "linear");
    let [lo, hi] = linear.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, 7.515862) && close(hi * 100.0, 12.484138),
        "{lo} {hi}"
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    for line in [
        "## Each point - linear in best_test_top1 (points)",
        "## Each point - floor in best_test_top1 (points)",
        "| linear | 3 | +10.00 ± 1.00 | [+7.52, +12.48] | +11.00, +10.00, +9.00 |",
    ] {
        assert!(md.contains(line), "summary.md lacks {line:?}:\n{md}");
    }
    // A reference that is not an extra is named, as for `baseline`.
    let text = with_two_baselines().replace("[\"floor\"]", "[\"flor\"]");
    let err = Experiment::parse(Source::from_text(&dir.path().join("bad.toml"), text)).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("also_baseline: no [[sweep.extra]] is labelled \"flor\""),
        "{msg}"
    );
}

#[test]
fn a_baseline_that_is_not_an_extra_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = with_baseline().replace("baseline = \"linear\"", "baseline = \"linaer\"");
    let err = Experiment::parse(Source::from_text(&dir.path().join("bad.toml"), text)).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("no [[sweep.extra]] is labelled \"linaer\"") && msg.contains("[\"linear\"]"),
        "{msg}"
    );
}

/// `WIDTH` at two training budgets, with the linear classifier at each (a baseline family).
fn with_budgets() -> String {
    let linear = "model = { arch = \"linear\", in_chans = 1, image_size = 28, num_classes = 10 }";
    let extras = format!(
        "[[sweep.extra]]\nlabel = \"linear, 2 epochs\"\n{linear}\n\"train.epochs\" = 2\n\n\
         [[sweep.extra]]\nlabel = \"linear, 4 epochs\"\n{linear}\n\"train.epochs\" = 4\n\n[output]"
    );
    WIDTH
        .replacen("mode = [", "\"train.epochs\" = [2, 4]\nmode = [", 1)
        .replacen("[output]", &extras, 1)
        .replacen("paper = {", "baseline = \"linear\"\n# paper = {", 1)
}

/// At 2 epochs [`width_top1`] (star - sum: width 8 +3, -1, +6; width 16 +2, +1, +1 points); at
/// 4 epochs sum 5 points higher, star - sum width 8 +1, +1, +2 and width 16 0, +1, -1. Linear:
/// 61, 60, 59 at 2 epochs and 65, 64, 63 at 4 (seeds 0, 1, 2).
fn budget_top1(point: &BTreeMap<String, serde_json::Value>) -> f64 {
    let seed = point["train.seed"].as_u64().unwrap() as usize;
    if let Some(label) = point.get("extra") {
        let long = label == "linear, 4 epochs";
        return [0.61, 0.60, 0.59][seed] + if long { 0.04 } else { 0.0 };
    }
    let long = point["train.epochs"] == 4;
    if !long {
        return width_top1(point);
    }
    let mut sum = point.clone();
    sum.insert("mode".into(), "sum".into());
    let sum = width_top1(&sum) + 0.05;
    let gap = match (point["mode"] == "star", point["width"].as_u64().unwrap()) {
        (false, _) => [0.0; 3],
        (true, 8) => [0.01, 0.01, 0.02],
        (true, _) => [0.0, 0.01, -0.01],
    };
    sum + gap[seed]
}

#[test]
fn a_budget_axis_gets_the_change_of_the_gap_per_seed_and_its_own_figure() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &with_budgets());
    let plan = write_records(&exp, dir.path(), budget_top1);
    assert_eq!(plan.len(), 2 * 2 * 2 * 3 + 2 * 3);
    report::write(&exp, &plan, dir.path(), true).unwrap();
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let s: Summary = serde_json::from_str(&text).unwrap();
    let p = s.paired.as_ref().unwrap();
    assert_eq!((p.points.len(), p.unpaired), (4, 0));
    // A trend against ln(width) at each budget, over its 6 pairs.
    let at: Vec<_> = p
        .trends
        .iter()
        .map(|t| (t.rest["train.epochs"].clone(), t.fit.n))
        .collect();
    assert_eq!(at, [(2.into(), 6), (4.into(), 6)]);

    // The change of star - sum from 2 to 4 epochs, seed by seed. Width 8: +1 - 3, +1 - (-1),
    // +2 - 6 = -2, +2, -4 points: mean -1.333333, squared deviations 0.444444 + 11.111111 +
    // 7.111111 = 18.666667, std sqrt(18.666667 / 2) = 3.055050, se 1.763834, half 4.302653 *
    // 1.763834 = 7.589166 -> [-8.922499, +6.255833]. Width 16: 0 - 2, 1 - 1, -1 - 1 = -2, 0, -2:
    // mean -1.333333, std sqrt(2.666667 / 2) = 1.154701, se 0.666667, half 2.868435
    // -> [-4.201768, +1.535102].
    let [w8, w16] = &p.changes[..] else {
        panic!("one change per width: {:?}", p.changes)
    };
    assert_eq!(
        (w8.field.as_str(), &w8.from, &w8.to),
        ("train.epochs", &2.into(), &4.into())
    );
    assert_eq!(w8.point, BTreeMap::from([("width".to_string(), 8.into())]));
    let scaled: Vec<f64> = w8
        .differences
        .iter()
        .map(|d| (d * 100.0 * 1e6).round() / 1e6)
        .collect();
    assert_eq!(scaled, [-2.0, 2.0, -4.0]);
    let [lo, hi] = w8.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, -8.922499) && close(hi * 100.0, 6.255833),
        "{lo} {hi}"
    );
    let [lo, hi] = w16.stat.ci95.unwrap();
    assert!(
        close(lo * 100.0, -4.201768) && close(hi * 100.0, 1.535102),
        "{lo} {hi}"
    );

    // Each point against the linear run of its own budget: width 8 sum at 4 epochs is 65, 67, 63
    // against 65, 64, 63 -> 0, +3, 0 (against the 2-epoch linear it would be +4, +7, +4).
    let b = s.vs_baseline.as_ref().unwrap();
    assert_eq!((b.points.len(), b.unpaired), (8, 0));
    let w8_sum_long = b
        .points
        .iter()
        .find(|q| q.point["width"] == 8 && q.point["mode"] == "sum" && q.point["train.epochs"] == 4)
        .unwrap();
    let scaled: Vec<f64> = w8_sum_long
        .differences
        .iter()
        .map(|d| (d * 100.0 * 1e6).round() / 1e6)
        .collect();
    assert_eq!(scaled, [0.0, 3.0, 0.0]);

    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    for line in [
        "Change of star - sum in best_test_top1 between epochs budgets (points)",
        "| point | epochs | n | mean ± std | 95% CI | per-seed changes |",
        "| width 8 | 2 → 4 | 3 | -1.33 ± 3.06 | [-8.92, +6.26] | -2.00, +2.00, -4.00 |",
        "| width 16 | 2 → 4 | 3 | -1.33 ± 1.15 | [-4.20, +1.54] |",
        "Trend at epochs 4: the difference changes by",
        "minus the `linear` run of the same seed and epochs",
    ] {
        assert!(md.contains(line), "summary.md lacks {line:?}:\n{md}");
    }

    // The figure: star - sum against the budget, a line per width in the width's colour.
    let records = results::collect(&plan, dir.path()).records;
    let inputs = inputs(&exp, &records, &s);
    let (budget, plot) = figures::budget::difference_vs_budget(inputs).unwrap();
    assert_eq!(
        (budget.as_str(), plot.x_label.as_str()),
        ("train.epochs", "epochs")
    );
    assert!(plot.zero_line && !plot.x_log && plot.difference.is_none());
    let lines: Vec<(&str, Option<usize>, Look, Vec<f64>)> = plot
        .lines
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.color,
                l.look,
                l.points.iter().map(|q| q.0).collect(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("width 8", Some(0), Look::Solid, vec![2.0, 4.0]),
            ("width 16", Some(1), Look::Solid, vec![2.0, 4.0])
        ]
    );
    // width 8 at 2 epochs: mean +2.666667 with the width-8 interval of the test above
    let e = &plot.lines[0].points[0].1;
    assert!(
        close(e.mean, 2.666667) && close(e.lo, -6.057338) && close(e.hi, 11.390672),
        "{e:?}"
    );
    assert!(
        plot.frame.caption.contains("n = 3 seeds per point"),
        "{}",
        plot.frame.caption
    );
    assert!(plot.frame.caption.contains("Paper: star's lead is capacity"));
    assert!(
        dir.path()
            .join("best_test_top1_difference_vs_train_epochs.png")
            .is_file()
    );
    // without a budget axis there is no such figure
    let width = experiment(dir.path(), WIDTH);
    let plain = write_records(&width, dir.path(), width_top1);
    let records = results::collect(&plain, dir.path()).records;
    let summary = report::build(&width, &records);
    assert!(figures::budget::difference_vs_budget(self::inputs(&width, &records, &summary)).is_none());
    assert!(summary.paired.unwrap().changes.is_empty());
}

/// Participation ratios (percent of 3d) per block: star 40 + 10 i + seed, sum 30 + 5 i, so that
/// star - sum is 10 + 5 i + seed (mean over seeds 0-2: 11 + 5 i) at every width; the mean over
/// blocks 0 and 1 differs by 13.5 on average.
fn feature_dims(point: &BTreeMap<String, serde_json::Value>) -> BTreeMap<String, f64> {
    let seed = point["train.seed"].as_f64().unwrap();
    let star = point["mode"] == "star";
    let block = |i: f64| {
        if star {
            40.0 + 10.0 * i + seed
        } else {
            30.0 + 5.0 * i
        }
    };
    BTreeMap::from([
        ("feat_pr_pct_block0".to_string(), block(0.0)),
        ("feat_pr_pct_block1".to_string(), block(1.0)),
        ("feat_pr_pct".to_string(), (block(0.0) + block(1.0)) / 2.0),
    ])
}

#[test]
fn paired_feature_dimensions_get_a_line_per_block_against_width() {
    let dir = tempfile::tempdir().unwrap();
    let text = WIDTH.replace(
        "compare = { field = \"mode\", base = \"sum\", treatment = \"star\" }",
        "compare = { field = \"mode\", base = \"sum\", treatment = \"star\" }\n\
         also_compare = [\n\
           { field = \"mode\", base = \"sum\", treatment = \"star\", metric = \"feat_pr_pct\" },\n\
           { field = \"mode\", base = \"sum\", treatment = \"star\", metric = \"feat_pr_pct_block1\" },\n\
           { field = \"mode\", base = \"sum\", treatment = \"star\", metric = \"feat_pr_pct_block0\" },\n\
         ]",
    );
    let exp = experiment(dir.path(), &text);
    let plan = write_records_with(&exp, dir.path(), width_top1, feature_dims);
    let written = report::write(&exp, &plan, dir.path(), true).unwrap();
    // (A dirty checkout adds a warning of its own; none may be about the metrics.)
    assert!(
        !written.warnings.iter().any(|w| w.contains("metric")),
        "{:?}",
        written.warnings
    );
    assert!(
        written
            .plots
            .iter()
            .any(|p| p.ends_with("feature_dim_difference_vs_width.png")),
        "{:?}",
        written.plots
    );
    let s: Summary =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    let records = results::collect(&plan, dir.path()).records;
    let (x, plot) = figures::feature_dim::difference_vs_x(inputs(&exp, &records, &s)).unwrap();
    assert_eq!((x.as_str(), plot.x_label.as_str()), ("width", "width"));
    assert!(plot.zero_line && plot.y_label.starts_with("star - sum in participation ratio"));
    // Blocks in their order whatever the config's, then the mean; a colour each.
    type Drawn<'a> = (&'a str, Option<usize>, Vec<(f64, f64)>);
    let lines: Vec<Drawn> = plot
        .lines
        .iter()
        .map(|l| {
            let points = l
                .points
                .iter()
                .map(|(x, e)| (*x, (e.mean * 1e6).round() / 1e6))
                .collect();
            (l.name.as_str(), l.color, points)
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("block 0", Some(0), vec![(8.0, 11.0), (16.0, 11.0)]),
            ("block 1", Some(1), vec![(8.0, 16.0), (16.0, 16.0)]),
            ("mean over blocks", Some(2), vec![(8.0, 13.5), (16.0, 13.5)]),
        ]
    );
    // Differences 10, 11, 12 at block 0: sd 1, se 1/sqrt(3), half 4.302653 * 0.577350 = 2.484138.
    let e = &plot.lines[0].points[0].1;
    assert!(
        close(e.lo, 11.0 - 2.484138) && close(e.hi, 11.0 + 2.484138),
        "{e:?}"
    );

    // Without the pairs, no figure.
    let bare = experiment(dir.path(), WIDTH);
    let s_bare = report::build(&bare, &records);
    assert!(figures::feature_dim::difference_vs_x(inputs(&bare, &records, &s_bare)).is_none());
}

#[test]
fn an_output_metric_no_record_has_is_named_in_the_summary_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &WIDTH.replace("metric = \"best_test_top1\"", "metric = \"val_top1\""),
    );
    let plan = write_records(&exp, dir.path(), width_top1);
    let written = report::write(&exp, &plan, dir.path(), false).unwrap();
    let warning = written
        .warnings
        .iter()
        .find(|w| w.contains("\"val_top1\""))
        .unwrap_or_else(|| panic!("{:?}", written.warnings));
    assert!(warning.contains("best_test_top1"), "{warning}");
}
