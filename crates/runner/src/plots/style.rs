//! Shared look: the embedded font, the colour palette, text sizes and axis ranges.

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font as plotters_register_font};

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`), unmodified.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

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

pub const TITLE_SIZE: u32 = 22;
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
    fn embedded_font_registers_twice_without_error() {
        register_font().unwrap();
        register_font().unwrap();
    }
}
