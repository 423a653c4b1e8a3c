//! Shared look: the embedded font, the colour palette, text sizes, axis ranges and hand-placed
//! ticks (at the measured values, so an axis of widths 8..64 reads 8, 16, 32, 64, not 10, 20).

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font as plotters_register_font};

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`), unmodified.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The family name every text style in this module asks for.
pub const FONT: &str = "sans-serif";

/// Registers the embedded font as `sans-serif` (normal and bold fall back to it) exactly once.
pub fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters_register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(anyhow!(
            "the embedded font assets/DejaVuSans.ttf could not be parsed"
        ))
    }
}

/// Tableau 10: distinct, colour-blind-friendlier than plotters' primaries.
const TABLEAU10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The i-th series colour; beyond ten series it moves on to plotters' 99-colour palette.
pub fn color(i: usize) -> RGBColor {
    match TABLEAU10.get(i) {
        Some(c) => *c,
        None => {
            let (r, g, b) = Palette99::pick(i - TABLEAU10.len()).rgb();
            RGBColor(r, g, b)
        }
    }
}

/// Lines that carry no colour meaning (e.g. a mode's line when markers carry the swept quantity).
pub const INK: RGBColor = RGBColor(70, 70, 70);
/// Secondary text (captions, notes) and the zero line of difference panels.
pub const MUTED: RGBColor = RGBColor(110, 110, 110);

pub const TITLE_SIZE: u32 = 22;
pub const CAPTION_SIZE: u32 = 14;
pub const LABEL_SIZE: u32 = 17;
pub const TICK_SIZE: u32 = 14;
pub const LEGEND_SIZE: u32 = 14;

pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Grid lines: major ones faint, minor ones off (they crowd small plots).
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Tick labels without float noise or trailing zeros: 0.30000000000000004 -> "0.3", 10.0 -> "10".
pub fn tick(v: &f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `[min, max]` of the finite values, padded by `pad` of the span on both sides.
/// A single value gets a span of its own size (or 1 around zero) so the axis is never empty.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (lo, hi) =
        values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<(f64, f64)>, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })?;
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    Some((lo - pad * span, hi + pad * span))
}

/// `[min, max]` of the finite positive values, widened by a factor for a log axis.
pub fn log_range(values: impl IntoIterator<Item = f64>, factor: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values.into_iter().filter(|v| v.is_finite() && *v > 0.0).fold(
        None,
        |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        },
    )?;
    Some((lo / factor, hi * factor))
}

/// Ticks for an axis whose values are the given ones: all of them when they fit in `max`,
/// else every k-th (first and last kept). `at` maps a value to its plotting position.
pub fn ticks_at(values: &[f64], max: usize, at: impl Fn(f64) -> f64) -> Vec<(f64, String)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let step = v.len().div_ceil(max.max(1)).max(1);
    let last = v.len().saturating_sub(1);
    let mut keep: Vec<usize> = (0..v.len()).step_by(step).collect();
    if keep.last() != Some(&last) {
        // The last value always shows; it replaces a tick too close to it (29 beside 30).
        if keep.last().is_some_and(|&k| k > 0 && last - k < step) {
            keep.pop();
        }
        keep.push(last);
    }
    keep.into_iter().map(|i| (at(v[i]), tick(&v[i]))).collect()
}

/// Integer ticks 1..=n (every k-th when there are many), for epoch-like axes.
pub fn integer_ticks(lo: f64, hi: f64, max: usize) -> Vec<(f64, String)> {
    let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
    let values: Vec<f64> = (a..=b).map(|i| i as f64).collect();
    ticks_at(&values, max, |x| x)
}

/// Draws x ticks (small marks below the axis, labels under them) and faint vertical grid lines
/// at the given plotting positions; the chart's own x labels should be off.
pub fn draw_x_ticks<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ticks: &[(f64, String)],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (x_range, y_range) = (chart.x_range(), chart.y_range());
    let (y0, y1) = (y_range.start, y_range.end);
    let inside: Vec<&(f64, String)> = ticks
        .iter()
        .filter(|(x, _)| *x >= x_range.start && *x <= x_range.end)
        .collect();
    chart.draw_series(
        inside
            .iter()
            .map(|(x, _)| PathElement::new([(*x, y0), (*x, y1)], GRID.stroke_width(1))),
    )?;
    let label = text(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    chart.draw_series(inside.iter().map(|(x, l)| {
        EmptyElement::at((*x, y0))
            + PathElement::new([(0, 0), (0, 5)], BLACK.stroke_width(1))
            + Text::new(l.clone(), (0, 8), label.clone())
    }))?;
    Ok(())
}

/// Draws one estimate: a vertical whisker `lo..hi` clipped to `y` (an arrowhead where it was
/// cut), its single values as small hollow dots, and the mean's marker on top.
#[allow(clippy::type_complexity)]
pub fn whisker<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x: f64,
    e: &crate::Estimate,
    color: RGBColor,
    filled: bool,
    vertical: bool,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    // Along the value axis: `(value, position)` -> chart coordinates.
    let at = |v: f64| if vertical { (x, v) } else { (v, x) };
    let range = if vertical {
        chart.y_range()
    } else {
        chart.x_range()
    };
    let (lo_end, hi_end) = (range.start, range.end);
    if e.lo.is_finite() && e.hi.is_finite() && e.hi > e.lo {
        let (lo, hi) = (e.lo.max(lo_end), e.hi.min(hi_end));
        let stroke = color.stroke_width(2);
        chart.draw_series([PathElement::new([at(lo), at(hi)], stroke)])?;
        for (end, cut, sign) in [(lo, e.lo < lo_end, -1), (hi, e.hi > hi_end, 1)] {
            let cap: Vec<(i32, i32)> = match (cut, vertical) {
                (false, true) => vec![(-5, 0), (5, 0)],
                (false, false) => vec![(0, -5), (0, 5)],
                // An arrowhead pointing out of the panel: the interval goes on.
                (true, true) => vec![(-5, 6 * sign), (0, 0), (5, 6 * sign)],
                (true, false) => vec![(-6 * sign, -5), (0, 0), (-6 * sign, 5)],
            };
            chart.draw_series([EmptyElement::at(at(end)) + PathElement::new(cap, stroke)])?;
        }
    }
    // A single value is the mean itself: no extra dot.
    let several = e.values.len() > 1;
    let dots = e
        .values
        .iter()
        .filter(|v| several && v.is_finite() && **v >= lo_end && **v <= hi_end);
    chart.draw_series(dots.map(|&v| Circle::new(at(v), 3, color.mix(0.6).stroke_width(1))))?;
    if e.mean.is_finite() {
        let style = if filled { color.filled() } else { WHITE.filled() };
        chart.draw_series([
            Circle::new(at(e.mean), 5, style),
            Circle::new(at(e.mean), 5, color.stroke_width(2)),
        ])?;
    }
    Ok(())
}

/// The value range a panel shows: the means and single values, padded, and the intervals as
/// far as they stay within one data span beyond (longer ones get cut with an arrowhead).
pub fn estimate_range<'a>(
    estimates: impl IntoIterator<Item = &'a crate::Estimate>,
    extra: &[f64],
    pad: f64,
) -> Option<(f64, f64)> {
    let estimates: Vec<&crate::Estimate> = estimates.into_iter().collect();
    let data = padded_range(
        estimates
            .iter()
            .flat_map(|e| e.values.iter().copied().chain([e.mean]))
            .chain(extra.iter().copied()),
        0.0,
    )?;
    let span = (data.1 - data.0).max(1e-9);
    let limit = |v: f64| v.clamp(data.0 - span, data.1 + span);
    padded_range(
        estimates
            .iter()
            .flat_map(|e| [e.lo, e.hi])
            .filter(|v| v.is_finite())
            .map(limit)
            .chain([data.0, data.1]),
        pad,
    )
}

/// Legend label for a series that had nothing to draw.
pub fn legend_name(name: &str, drawable_points: usize) -> String {
    if drawable_points == 0 {
        format!("{name} (no data)")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_range_skips_non_finite_and_pads() {
        assert_eq!(
            padded_range([f64::NAN, 1.0, 3.0, f64::INFINITY], 0.5),
            Some((0.0, 4.0))
        );
        assert_eq!(padded_range([f64::NAN], 0.1), None);
        assert_eq!(padded_range([2.0], 0.5), Some((1.0, 3.0)));
        assert_eq!(padded_range([0.0], 0.5), Some((-0.5, 0.5)));
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(&10.0), "10");
        assert_eq!(tick(&0.30000000000000004), "0.3");
        assert_eq!(tick(&87.25), "87.25");
        assert_eq!(tick(&-0.00001), "0");
        assert_eq!(tick(&1500.0), "1500");
    }

    #[test]
    fn log_range_skips_non_positive() {
        assert_eq!(
            log_range([0.0, -1.0, 10.0, 100.0, f64::NAN], 2.0),
            Some((5.0, 200.0))
        );
        assert_eq!(log_range([0.0, -3.0], 2.0), None);
    }

    #[test]
    fn palette_is_distinct_beyond_ten() {
        let colors: Vec<_> = (0..20).map(|i| color(i).rgb()).collect();
        for (i, a) in colors.iter().enumerate() {
            for b in &colors[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn ticks_sit_at_the_measured_values() {
        let t = ticks_at(&[64.0, 8.0, 16.0, 32.0, 16.0], 8, |x| x.log2());
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["8", "16", "32", "64"]);
        assert_eq!(t[0].0, 3.0);
        // Eleven widths in at most six ticks: every second, the last kept.
        let d = [2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0];
        let labels: Vec<String> = ticks_at(&d, 6, |x| x).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["2", "4", "8", "16", "32", "64"]);
        let epochs: Vec<String> = integer_ticks(0.9, 3.1, 10).into_iter().map(|t| t.1).collect();
        assert_eq!(epochs, ["1", "2", "3"]);
        // Thirty epochs in at most fifteen ticks: 1, 3, ..., 27, then 30 instead of 29 and 30.
        let epochs: Vec<String> = integer_ticks(1.0, 30.0, 15).into_iter().map(|t| t.1).collect();
        assert_eq!(epochs.len(), 15);
        assert_eq!(&epochs[13..], ["27", "30"]);
    }

    #[test]
    fn long_intervals_do_not_stretch_the_axis() {
        let e = crate::Estimate {
            mean: 60.0,
            lo: -10.0,
            hi: 130.0,
            values: vec![58.0, 62.0],
        };
        // Data span 4 (58..62): the interval is kept to 54..66, then padded by nothing.
        assert_eq!(estimate_range([&e], &[], 0.0), Some((54.0, 66.0)));
        assert_eq!(estimate_range([&e], &[0.0], 0.0).map(|r| r.0), Some(-10.0));
    }

    #[test]
    fn embedded_font_registers_twice_without_error() {
        register_font().unwrap();
        register_font().unwrap();
    }
}
