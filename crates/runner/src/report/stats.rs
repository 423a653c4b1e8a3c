//! The statistics of a summary, in one home: [`Stat`] (mean, std, n of a point's runs),
//! [`MeanCi`] (with its 95% t-interval), [`Slope`] (OLS with its interval), and paired
//! differences.
//!
//! Paired statistics. Runs of one sweep that differ only in the compared field (e.g. `mode`) and
//! share a seed start from the same weights and see the same batches, so their difference is one
//! paired observation. `[output] compare` names the field and its two values; per point of the
//! other swept fields this gives the per-seed differences, their mean, std, n and a 95% Student t
//! interval, and, along a numeric axis, the OLS slope of the difference against ln(x).
//! `also_compare` adds more such comparisons; `baseline` names an extra (e.g. the linear
//! classifier) that every other point is compared with, seed by seed.

use std::collections::BTreeMap;

use config::{Compare, Experiment};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};
use sweep::{EXTRA, RunSpec};

use crate::results::RunRecord;

/// A point of the grid without seeds: swept field -> value.
pub type Point = BTreeMap<String, Value>;

/// Mean, sample standard deviation and count of one metric over the runs of a point.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    #[serde(with = "kinds::nonfinite::value")]
    pub mean: f64,
    #[serde(with = "kinds::nonfinite::value")]
    pub std: f64,
    pub n: usize,
}

impl Stat {
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n.max(1) as f64;
        let std = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Stat { mean, std, n }
    }
}

/// `t` such that a Student t variable with `df` degrees of freedom is below it with probability
/// 0.975: the half-width factor of a two-sided 95% interval. None for `df` < 1.
pub fn t975(df: usize) -> Option<f64> {
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(t.inverse_cdf(0.975))
}

/// Mean, sample std and n of some values, with the 95% t-interval of the mean (None for n < 2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanCi {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
    pub ci95: Option<[f64; 2]>,
}

impl MeanCi {
    pub fn of(values: &[f64]) -> MeanCi {
        let s = Stat::of(values);
        let ci95 = t975(s.n.saturating_sub(1)).map(|t| {
            let half = t * s.std / (s.n as f64).sqrt();
            [s.mean - half, s.mean + half]
        });
        MeanCi {
            mean: s.mean,
            std: s.std,
            n: s.n,
            ci95,
        }
    }
}

/// OLS slope of y on x, with its 95% interval (None when fewer than 3 points: no residual
/// degree of freedom). None altogether when x takes fewer than two values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    pub slope: f64,
    pub intercept: f64,
    pub n: usize,
    pub ci95: Option<[f64; 2]>,
}

impl Slope {
    pub fn fit(points: &[(f64, f64)]) -> Option<Slope> {
        let n = points.len();
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n as f64;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n as f64;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if n < 2 || sxx <= 0.0 || !sxx.is_finite() {
            return None;
        }
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let ci95 = t975(n.saturating_sub(2)).map(|t| {
            let sse: f64 = points
                .iter()
                .map(|p| (p.1 - intercept - slope * p.0).powi(2))
                .sum();
            let se = (sse / (n - 2) as f64 / sxx).sqrt();
            [slope - t * se, slope + t * se]
        });
        Some(Slope {
            slope,
            intercept,
            n,
            ci95,
        })
    }
}

/// One point of the other swept fields: its seed pairs and their differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedPoint {
    /// The swept fields other than the compared one and the seeds.
    pub point: BTreeMap<String, Value>,
    /// The seed values of each pair, in plan order (`{"train.seed": 0}`).
    pub seeds: Vec<BTreeMap<String, Value>>,
    /// `treatment - base` per pair, in the metric's own units.
    pub differences: Vec<f64>,
    #[serde(flatten)]
    pub stat: MeanCi,
}

/// How the difference moves along a numeric axis: OLS of every pair's difference on ln(x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The numeric swept field.
    pub x: String,
    /// The other fields held fixed (empty when `x` is the only other axis).
    pub rest: BTreeMap<String, Value>,
    /// Change of the difference per unit of ln(x) (multiply by ln 2 for "per doubling").
    #[serde(flatten)]
    pub fit: Slope,
}

/// What `summary.json` carries under `paired` (and `also_paired`, `vs_baseline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub field: String,
    pub base: Value,
    /// Null against a baseline extra: there every other point is a treatment.
    pub treatment: Value,
    pub metric: String,
    pub points: Vec<PairedPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trends: Vec<Trend>,
    /// How the difference changes between two values of the budget axis (a swept
    /// `train.epochs`), seed by seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Runs of the base or treatment value without a partner of the same seed (left out).
    pub unpaired: usize,
}

/// The paired difference at `to` minus the one at `from` along the budget axis, per seed, at one
/// point of the other fields: does the gap grow or shrink with more training? Both differences of
/// a seed come from runs with the same data and initial weights (they depend only on the seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The budget axis (`train.epochs`).
    pub field: String,
    pub from: Value,
    pub to: Value,
    /// The other swept fields (e.g. the width), without the budget axis and the seeds.
    pub point: Point,
    /// The seeds with a pair at both budgets, in the order of `from`'s pairs.
    pub seeds: Vec<Point>,
    /// `difference(to) - difference(from)` per seed, in the metric's own units.
    pub differences: Vec<f64>,
    #[serde(flatten)]
    pub stat: MeanCi,
}

/// The axes a paired comparison is read along: `x` for the trend against ln(x), `budget` for the
/// change of the difference between budgets (the labels module's `x_axis` and `budget_axis`
/// pick them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Along<'a> {
    pub x: Option<&'a str>,
    pub budget: Option<&'a str>,
}

/// Pairs the records by everything but the compared field; `seeds` are the seed axes' keys.
pub fn paired(
    compare: &Compare,
    metric: &str,
    seeds: &[&str],
    along: Along<'_>,
    records: &[(RunSpec, RunRecord)],
) -> Paired {
    // (point without the field, incl. seeds) -> (base value, treatment value)
    type Sides = (Option<f64>, Option<f64>);
    let mut halves: Vec<(BTreeMap<String, Value>, Sides)> = Vec::new();
    for (spec, record) in records {
        let side = spec.point.get(&compare.field);
        let is_base = side == Some(&compare.base);
        if !is_base && side != Some(&compare.treatment) {
            continue;
        }
        let Some(&value) = record.outcome.summary_metrics().get(metric) else {
            continue;
        };
        let mut key = spec.point.clone();
        key.remove(&compare.field);
        let pos = halves.iter().position(|(k, _)| *k == key).unwrap_or_else(|| {
            halves.push((key, (None, None)));
            halves.len() - 1
        });
        let slot = if is_base {
            &mut halves[pos].1.0
        } else {
            &mut halves[pos].1.1
        };
        *slot = Some(value);
    }
    let mut unpaired = 0;
    let mut groups = Groups::default();
    for (key, sides) in halves {
        let (Some(b), Some(t)) = sides else {
            unpaired += 1;
            continue;
        };
        let (seed, rest) = split_seeds(key, seeds);
        groups.push(rest, seed, t - b);
    }
    let points = groups.finish();
    // Along the compared field itself there is no difference to follow.
    let budget = along.budget.filter(|b| *b != compare.field);
    Paired {
        field: compare.field.clone(),
        base: compare.base.clone(),
        treatment: compare.treatment.clone(),
        metric: metric.to_string(),
        trends: along.x.map(|x| trends(x, &points)).unwrap_or_default(),
        changes: budget.map(|b| changes(b, &points)).unwrap_or_default(),
        points,
        unpaired,
    }
}

/// One member of `[output] baseline`'s family: an extra labelled `label`, or `label, ...` (e.g.
/// `linear, 7 epochs`), and the swept fields it sets (key, value), which a point must share to be
/// compared with it.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineMember {
    pub label: String,
    pub fixes: Vec<(String, Value)>,
}

/// The extras that form the baseline `label`: the one labelled so, or those labelled `label, ...`,
/// each with the swept (non-seed) fields it sets.
pub fn baseline_family(exp: &Experiment, label: &str) -> Vec<BaselineMember> {
    let prefix = format!("{label}, ");
    exp.extras
        .iter()
        .filter(|e| e.label == label || e.label.starts_with(&prefix))
        .map(|e| BaselineMember {
            label: e.label.clone(),
            fixes: exp
                .axes
                .iter()
                .filter(|a| !a.is_seed())
                .filter_map(|a| {
                    let (_, v) = e.sets.iter().find(|(path, _)| *path == a.path)?;
                    Some((a.key.clone(), v.clone()))
                })
                .collect(),
        })
        .collect()
}

/// Every point outside the baseline family, minus the member of the same seed that shares the
/// swept fields it sets (`[output] baseline`; with one extra that sets none, simply that extra at
/// the same seed). The seed fixes the training subset and the batch order; the initial weights
/// differ, as the models do. `treatment` is null: it is every other point.
pub fn against_extra(
    label: &str,
    family: &[BaselineMember],
    metric: &str,
    seeds: &[&str],
    records: &[(RunSpec, RunRecord)],
) -> Paired {
    let value = |r: &RunRecord| r.outcome.summary_metrics().get(metric).copied();
    let member = |spec: &RunSpec| {
        let l = spec.point.get(EXTRA)?.as_str()?;
        family.iter().find(|m| m.label == l)
    };
    // (member, seeds, value) of every baseline run
    let base: Vec<(&BaselineMember, Point, f64)> = records
        .iter()
        .filter_map(|(spec, r)| Some((member(spec)?, split_seeds(spec.point.clone(), seeds).0, value(r)?)))
        .collect();
    let mut unpaired = 0;
    let mut groups = Groups::default();
    for (spec, r) in records.iter().filter(|(spec, _)| member(spec).is_none()) {
        let Some(t) = value(r) else { continue };
        let (seed, rest) = split_seeds(spec.point.clone(), seeds);
        let partner = base
            .iter()
            .find(|(m, s, _)| *s == seed && m.fixes.iter().all(|(k, v)| spec.point.get(k) == Some(v)));
        match partner {
            Some((_, _, b)) => groups.push(rest, seed, t - b),
            None => unpaired += 1,
        }
    }
    Paired {
        field: EXTRA.to_string(),
        base: Value::from(label),
        treatment: Value::Null,
        metric: metric.to_string(),
        points: groups.finish(),
        trends: Vec::new(),
        changes: Vec::new(),
        unpaired,
    }
}

/// (the seed fields, the rest) of a point.
fn split_seeds(point: Point, seeds: &[&str]) -> (Point, Point) {
    point.into_iter().partition(|(k, _)| seeds.contains(&k.as_str()))
}

/// Differences collected per point, in first-seen order.
#[derive(Default)]
struct Groups(Vec<(Point, Vec<Point>, Vec<f64>)>);

impl Groups {
    fn push(&mut self, rest: Point, seed: Point, difference: f64) {
        match self.0.iter_mut().find(|(p, _, _)| *p == rest) {
            Some((_, s, d)) => {
                s.push(seed);
                d.push(difference);
            }
            None => self.0.push((rest, vec![seed], vec![difference])),
        }
    }

    fn finish(self) -> Vec<PairedPoint> {
        self.0
            .into_iter()
            .map(|(point, seeds, differences)| PairedPoint {
                stat: MeanCi::of(&differences),
                point,
                seeds,
                differences,
            })
            .collect()
    }
}

/// One slope per combination of the fields other than `x`, over every pair with x > 0.
fn trends(x: &str, points: &[PairedPoint]) -> Vec<Trend> {
    let mut groups: Vec<(Point, Vec<(f64, f64)>)> = Vec::new();
    for p in points {
        let Some(xv) = p.point.get(x).and_then(Value::as_f64).filter(|v| *v > 0.0) else {
            continue;
        };
        let mut rest = p.point.clone();
        rest.remove(x);
        let pairs = p.differences.iter().map(|&d| (xv.ln(), d));
        match groups.iter_mut().find(|(r, _)| *r == rest) {
            Some((_, v)) => v.extend(pairs),
            None => groups.push((rest, pairs.collect())),
        }
    }
    groups
        .into_iter()
        .filter_map(|(rest, pts)| {
            Some(Trend {
                x: x.to_string(),
                rest,
                fit: Slope::fit(&pts)?,
            })
        })
        .collect()
}

/// For every two points that differ only in `budget` (`from` < `to`, numerically), the change
/// of each seed's difference: `to` minus `from`, over the seeds paired at both.
fn changes(budget: &str, points: &[PairedPoint]) -> Vec<Change> {
    let without = |p: &PairedPoint| {
        let mut rest = p.point.clone();
        let b = rest.remove(budget)?.as_f64()?;
        Some((rest, b))
    };
    let mut out = Vec::new();
    for from in points {
        let Some((rest, b0)) = without(from) else { continue };
        for to in points {
            let Some((rest1, b1)) = without(to) else { continue };
            if rest1 != rest || b1 <= b0 {
                continue;
            }
            let (mut seeds, mut differences) = (Vec::new(), Vec::new());
            for (seed, d0) in from.seeds.iter().zip(&from.differences) {
                if let Some(i) = to.seeds.iter().position(|s| s == seed) {
                    seeds.push(seed.clone());
                    differences.push(to.differences[i] - d0);
                }
            }
            if differences.is_empty() {
                continue;
            }
            out.push(Change {
                field: budget.to_string(),
                from: from.point[budget].clone(),
                to: to.point[budget].clone(),
                point: rest.clone(),
                seeds,
                stat: MeanCi::of(&differences),
                differences,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_uses_the_sample_std() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.n, 4);
        assert!((s.mean - 2.5).abs() < 1e-12);
        // sum of squared deviations 5, over n-1 = 3
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(
            Stat::of(&[7.0]),
            Stat {
                mean: 7.0,
                std: 0.0,
                n: 1
            }
        );
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_table() {
        // Two-sided 95% critical values of Student's t (any statistics table, scipy's
        // t.ppf(0.975, df)); checked independently by integrating the t density numerically
        // (Simpson's rule in plain Python): the CDF at each value is 0.975 to 1e-11.
        for (df, t) in [
            (1, 12.706204736),
            (2, 4.302652730),
            (3, 3.182446305),
            (4, 2.776445105),
            (9, 2.262157163),
            (30, 2.042272456),
        ] {
            let got = t975(df).unwrap();
            assert!(close(got, t, 1e-6), "df {df}: {got} vs {t}");
        }
        assert_eq!(t975(0), None);
    }

    #[test]
    fn mean_interval_of_two_seeds_is_hand_computed() {
        // The width-16 pair of the issue: +0.75 and +9.2 points. By hand: mean 4.975,
        // std |9.2 - 0.75| / sqrt 2 = 5.975052, se = 8.45 / 2 = 4.225,
        // half-width 12.706205 * 4.225 = 53.683715 -> [-48.708715, 58.658715].
        let m = MeanCi::of(&[0.75, 9.2]);
        assert_eq!(m.n, 2);
        assert!(close(m.mean, 4.975, 1e-12));
        assert!(close(m.std, 5.975052, 1e-6));
        let [lo, hi] = m.ci95.unwrap();
        assert!(
            close(lo, -48.708715, 1e-5) && close(hi, 58.658715, 1e-5),
            "{lo} {hi}"
        );
    }

    #[test]
    fn mean_interval_of_five_seeds_is_hand_computed() {
        // Differences 1.0, 2.0, 0.5, 3.0, 1.5: mean 1.6, squared deviations 0.36 + 0.16 + 1.21
        // + 1.96 + 0.01 = 3.7, std sqrt(3.7 / 4) = 0.961769, se = 0.961769 / sqrt 5 = 0.430116,
        // half = 2.776445 * 0.430116 = 1.194194 -> [0.405806, 2.794194].
        let m = MeanCi::of(&[1.0, 2.0, 0.5, 3.0, 1.5]);
        assert!(close(m.std, 0.961769, 1e-6));
        let [lo, hi] = m.ci95.unwrap();
        assert!(
            close(lo, 0.405806, 1e-5) && close(hi, 2.794194, 1e-5),
            "{lo} {hi}"
        );
        let one = MeanCi::of(&[2.5]);
        assert_eq!((one.mean, one.n, one.ci95), (2.5, 1, None));
    }

    #[test]
    fn slope_and_its_interval_are_hand_computed() {
        // x = 1, 2, 3, 4; y = 1, 3, 2, 5. By hand: mean x 2.5, mean y 2.75, Sxx 5, Sxy 5.5,
        // slope 1.1, intercept 0.0; residuals -0.1, 0.8, -1.3, 0.6, SSE 2.7,
        // se = sqrt(2.7 / 2 / 5) = 0.519615, t(2) = 4.302653 -> half 2.235724,
        // interval [-1.135724, 3.335724].
        let s = Slope::fit(&[(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (4.0, 5.0)]).unwrap();
        assert!(close(s.slope, 1.1, 1e-12) && close(s.intercept, 0.0, 1e-12));
        let [lo, hi] = s.ci95.unwrap();
        assert!(
            close(lo, -1.135724, 1e-5) && close(hi, 3.335724, 1e-5),
            "{lo} {hi}"
        );
        assert!(
            Slope::fit(&[(1.0, 1.0), (1.0, 2.0)]).is_none(),
            "one x value: no slope"
        );
        assert_eq!(Slope::fit(&[(1.0, 1.0), (2.0, 2.0)]).unwrap().ci95, None);
    }

    fn pp(width: i64, epochs: i64, seeds: &[i64], differences: &[f64]) -> PairedPoint {
        PairedPoint {
            point: Point::from([
                ("width".into(), width.into()),
                ("train.epochs".into(), epochs.into()),
            ]),
            seeds: seeds
                .iter()
                .map(|s| Point::from([("train.seed".into(), (*s).into())]))
                .collect(),
            differences: differences.to_vec(),
            stat: MeanCi::of(differences),
        }
    }

    #[test]
    fn the_change_between_budgets_pairs_seeds_and_skips_those_missing_at_one() {
        // Width 8 at 7 and 21 epochs; seed 2 has no pair at 21 epochs. Width 16 only at 7.
        let points = [
            pp(8, 21, &[0, 1], &[0.5, 1.0]),
            pp(8, 7, &[0, 1, 2], &[2.0, 3.0, 9.0]),
            pp(16, 7, &[0, 1], &[1.0, 1.0]),
        ];
        let c = changes("train.epochs", &points);
        assert_eq!(c.len(), 1, "{c:?}");
        let c = &c[0];
        assert_eq!((c.from.clone(), c.to.clone()), (Value::from(7), Value::from(21)));
        assert_eq!(c.point, Point::from([("width".into(), 8.into())]));
        assert_eq!(c.seeds.len(), 2);
        // 0.5 - 2.0 and 1.0 - 3.0, in the order of the 7-epoch pairs
        assert_eq!(c.differences, [-1.5, -2.0]);
        assert_eq!(c.stat.mean, -1.75);
    }
}
