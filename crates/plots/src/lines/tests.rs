use super::*;
use crate::tests_support::{assert_png, assert_svg_has, svg_texts};

fn est(mean: f64, half: f64, values: &[f64]) -> Estimate {
    Estimate {
        mean,
        lo: mean - half,
        hi: mean + half,
        values: values.to_vec(),
    }
}

fn plot() -> LinePlot {
    let line = |name: &str, look, base: f64| Line {
        name: name.into(),
        color: None,
        look,
        points: [8.0, 16.0, 32.0, 64.0]
            .iter()
            .map(|&w: &f64| {
                (
                    w,
                    est(
                        base + w.log2(),
                        1.0,
                        &[base + w.log2() - 0.5, base + w.log2() + 0.5],
                    ),
                )
            })
            .collect(),
    };
    LinePlot {
        frame: Frame {
            title: "DemoNet width sweep, Fashion-MNIST".into(),
            caption: "n = 2 seeds; bars: 95% t-interval".into(),
        },
        x_label: "width".into(),
        y_label: "test top-1 (%)".into(),
        x_log: true,
        lines: vec![line("sum", Look::Dashed, 60.0), line("star", Look::Solid, 62.0)],
        difference: Some(DiffPanel {
            title: "star - sum".into(),
            y_label: "difference (points)".into(),
            points: vec![
                (8.0, est(2.0, 30.0, &[1.0, 3.0])),
                (64.0, est(-0.5, 1.0, &[-1.0, 0.0])),
            ],
            note: "slope against ln(width): -1.2 [-3.0, 0.6]".into(),
        }),
        reference: Some(RefPanel {
            title: "paper, ImageNet-1k".into(),
            y_label: "top-1 (%)".into(),
            lines: vec![Line {
                name: "star".into(),
                color: None,
                look: Look::Solid,
                points: vec![(96.0, Estimate::exact(57.6)), (448.0, Estimate::exact(79.2))],
            }],
        }),
        baseline: None,
        zero_line: false,
    }
}

#[test]
fn writes_measured_difference_and_paper_panels_with_ticks_at_the_widths() {
    let dir = tempfile::tempdir().unwrap();
    let p = plot();
    let files = line_plot(&p, &dir.path().join("width")).unwrap();
    let (w, h) = p.size();
    assert_eq!((w, h), (MAIN.0 + REF_W, MAIN.1 + DIFF_H + 70));
    // Markers take the colour of their width (first and last width).
    assert_png(&files.png, (w, h), &[style::color(0), style::color(3)]);
    assert_svg_has(
        &files.svg,
        &[
            "8",
            "16",
            "32",
            "64",
            "sum",
            "star",
            "star - sum",
            "width",
            "paper, ImageNet-1k",
        ],
    );
    assert_svg_has(&files.svg, &["n = 2 seeds; bars: 95% t-interval"]);
}

#[test]
fn nothing_finite_or_a_log_axis_through_zero_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plot();
    p.lines[0].points[0].0 = 0.0;
    let err = line_plot(&p, &dir.path().join("a")).unwrap_err();
    assert!(err.to_string().contains("log x axis"), "{err}");
    p.lines
        .iter_mut()
        .for_each(|l| l.points.iter_mut().for_each(|pt| pt.1.mean = f64::NAN));
    let err = line_plot(&p, &dir.path().join("b")).unwrap_err();
    assert!(err.to_string().contains("no line"), "{err}");
    assert!(!dir.path().join("b.png").exists());
}

#[test]
fn a_baseline_far_below_the_lines_is_drawn_and_named_inside_the_y_range() {
    let dir = tempfile::tempdir().unwrap();
    let texts = |p: &LinePlot, name: &str| svg_texts(&line_plot(p, &dir.path().join(name)).unwrap().svg);
    let mut p = plot();
    let without = texts(&p, "without");
    // The lines span 63..70: no y tick reaches down to 40 on their own.
    assert!(!without.iter().any(|t| t == "40" || t == "linear"), "{without:?}");
    p.baseline = Some(("linear".into(), est(40.0, 1.0, &[39.5, 40.5])));
    let with = texts(&p, "with");
    assert!(
        with.iter().any(|t| t == "40"),
        "the y range takes in the baseline: {with:?}"
    );
    assert!(with.iter().any(|t| t == "linear"), "legend names it: {with:?}");
}

#[test]
fn the_zero_line_brings_zero_into_the_y_range() {
    let dir = tempfile::tempdir().unwrap();
    let texts = |p: &LinePlot, name: &str| svg_texts(&line_plot(p, &dir.path().join(name)).unwrap().svg);
    let mut p = plot();
    p.difference = None;
    p.reference = None;
    // The lines span 63..70: no y tick at 0 unless the zero line asks for it.
    assert!(!texts(&p, "without").iter().any(|t| t == "0"));
    p.zero_line = true;
    let with = texts(&p, "with");
    assert!(with.iter().any(|t| t == "0"), "{with:?}");
}

#[test]
fn the_legend_goes_to_the_corner_with_the_fewest_marks() {
    let unit = (0.0, 1.0);
    // Two marks lower right, one upper left: the first empty corner in the order tried.
    let marks = [(0.9, 0.1), (0.8, 0.2), (0.1, 0.9)];
    assert!(matches!(
        emptiest_corner(&marks, unit, unit),
        SeriesLabelPosition::UpperRight
    ));
    // Marks in every corner but the lower left.
    let marks = [(0.9, 0.1), (0.9, 0.9), (0.1, 0.9)];
    assert!(matches!(
        emptiest_corner(&marks, unit, unit),
        SeriesLabelPosition::LowerLeft
    ));
    // Nothing drawn: lower right, where it always was.
    assert!(matches!(
        emptiest_corner(&[], unit, unit),
        SeriesLabelPosition::LowerRight
    ));
}

/// The font size of the SVG's first `<text>` element (the title).
fn title_font_size(svg: &Path) -> f64 {
    let text = std::fs::read_to_string(svg).unwrap();
    let attrs = text.split("<text").nth(1).unwrap().split_once('>').unwrap().0;
    let size = attrs
        .split("font-size=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    size.parse().unwrap()
}

#[test]
fn a_long_title_shrinks_to_the_figure_width_and_a_short_one_keeps_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let short = line_plot(&plot(), &dir.path().join("short")).unwrap();
    let mut long = plot();
    long.frame.title = "demonet_budget: DemoNet depth 3 on Fashion-MNIST: sum vs star over widths \
                        at 7 and 21 epochs, beside a linear classifier at each budget"
        .into();
    let long = line_plot(&long, &dir.path().join("long")).unwrap();
    let (a, b) = (title_font_size(&short.svg), title_font_size(&long.svg));
    assert!(b < a, "long title at {b}, short at {a}");
    assert!(b >= a * style::CAPTION_SIZE as f64 / style::TITLE_SIZE as f64 - 1e-9);
}
