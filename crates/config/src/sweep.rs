//! `[sweep]`: the grid's axes and its `[[sweep.extra]]` points, read from the file with spans so
//! that a bad key or value is reported at its line. A sweep has at most [`MAX_RUNS`] runs.

use std::ops::Range;

use anyhow::Result;
use serde_json::Value;
use toml::de::{DeTable, DeValue};

use crate::json_path::{resolve_field, to_json};
use crate::source::Source;

/// The most runs a sweep may have (the grid, and each extra once per seed combination): far more
/// than any experiment here, and few enough that a plan is made in seconds (a typo such as
/// `seed = [0, 1, ..., 99999]` beside other axes is an error, not an hour of planning).
pub const MAX_RUNS: usize = 100_000;

/// One `[sweep]` entry: a field and the values it takes.
#[derive(Debug, Clone)]
pub struct Axis {
    /// As written in the config: `width` or `model.width`.
    pub key: String,
    /// Where it lands in the run config, e.g. `["model", "width"]`.
    pub path: Vec<String>,
    pub values: Vec<Value>,
    /// Span of the entry in the file, for errors about its values.
    pub span: Range<usize>,
}

impl Axis {
    /// Seeds are averaged over in the summary rather than shown as a point coordinate.
    pub fn is_seed(&self) -> bool {
        self.path.last().is_some_and(|f| f == "seed")
    }
}

/// One `[[sweep.extra]]` point: a labelled variant outside the grid (e.g. the linear baseline
/// beside a DemoNet grid), run once per value of the grid's seed axes.
#[derive(Debug, Clone)]
pub struct Extra {
    /// Its name in the summary and plots (the point's `extra`).
    pub label: String,
    /// Fields it sets over the base config. A section given as a table replaces the section.
    pub sets: Vec<(Vec<String>, Value)>,
    pub span: Range<usize>,
}

/// The axes (in file order) and extra points of a `[sweep]` table.
pub fn parse_sweep(
    source: &Source,
    sweep: toml::Spanned<DeValue<'_>>,
    base: &Value,
) -> Result<(Vec<Axis>, Vec<Extra>)> {
    let span = sweep.span();
    let DeValue::Table(mut table) = sweep.into_inner() else {
        return Err(source.error_at(
            Some(span),
            "[sweep] must be a table of lists, e.g. width = [16, 32]",
        ));
    };
    let extras = match table.remove("extra") {
        Some(v) => parse_extras(source, v, base)?,
        None => Vec::new(),
    };
    let mut axes = Vec::new();
    collect_axes(source, table, "", base, &mut axes)?;
    let count = |seeds_only: bool| {
        axes.iter()
            .filter(|a| !seeds_only || a.is_seed())
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
    };
    let runs = count(false).and_then(|grid| grid.checked_add(extras.len().checked_mul(count(true)?)?));
    if runs.is_none_or(|n| n > MAX_RUNS) {
        let shown = runs.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string());
        return Err(source.error_at(
            Some(span),
            format!("the sweep has {shown} runs; at most {MAX_RUNS} are allowed (split the experiment)"),
        ));
    }
    // File order (the spanned map is sorted by key): the grid's order, so run indices are stable.
    axes.sort_by_key(|a| a.span.start);
    for (i, a) in axes.iter().enumerate() {
        if let Some(b) = axes[..i].iter().find(|b| b.path == a.path) {
            return Err(source.error_at(
                Some(a.span.clone()),
                format!(
                    "sweep `{}` and `{}` set the same field {}",
                    b.key,
                    a.key,
                    a.path.join(".")
                ),
            ));
        }
    }
    Ok((axes, extras))
}

/// `[[sweep.extra]]` tables: `label = "..."` plus fields (`"model.depth" = 4`, bare `depth = 4`)
/// or whole sections (`model = { arch = "linear" }`, which replaces `[model]`).
fn parse_extras(source: &Source, value: toml::Spanned<DeValue<'_>>, base: &Value) -> Result<Vec<Extra>> {
    let usage = "[[sweep.extra]] must be tables like { label = \"linear\", model = { arch = \"linear\" } }";
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        return Err(source.error_at(Some(span), usage));
    };
    let mut extras: Vec<Extra> = Vec::new();
    for item in items {
        let span = item.span();
        let DeValue::Table(table) = item.into_inner() else {
            return Err(source.error_at(Some(span), usage));
        };
        let mut label = None;
        let mut sets = Vec::new();
        for (key, value) in table {
            let name = key.get_ref().to_string();
            let json = to_json(&value).map_err(|(span, e)| source.error_at(Some(span), e))?;
            if name == "label" {
                match json {
                    Value::String(l) if !l.is_empty() => label = Some(l),
                    _ => {
                        return Err(source.error_at(Some(value.span()), "`label` must be a non-empty string"));
                    }
                }
                continue;
            }
            let path = match base.get(&name) {
                Some(Value::Object(_)) if json.is_object() => vec![name],
                _ => resolve_field(base, &name).map_err(|e| source.error_at(Some(key.span()), e))?,
            };
            sets.push((path, json));
        }
        let Some(label) = label else {
            return Err(source.error_at(Some(span), "a [[sweep.extra]] point needs a `label`"));
        };
        if extras.iter().any(|e| e.label == label) {
            return Err(source.error_at(
                Some(span),
                format!("two [[sweep.extra]] points are labelled `{label}`"),
            ));
        }
        extras.push(Extra { label, sets, span });
    }
    Ok(extras)
}

/// `width = [..]`, `"model.width" = [..]` and `model.width = [..]` (a nested table) all work.
fn collect_axes(
    source: &Source,
    table: DeTable<'_>,
    prefix: &str,
    base: &Value,
    axes: &mut Vec<Axis>,
) -> Result<()> {
    for (key, value) in table {
        let key_span = key.span();
        let key = format!("{prefix}{}", key.get_ref());
        let value_span = value.span();
        let items = match value.into_inner() {
            DeValue::Array(items) => items,
            DeValue::Table(inner) => {
                collect_axes(source, inner, &format!("{key}."), base, axes)?;
                continue;
            }
            _ => {
                return Err(source.error_at(
                    Some(value_span),
                    format!("sweep `{key}` must be a list of values, e.g. {key} = [1, 2]"),
                ));
            }
        };
        if items.is_empty() {
            return Err(source.error_at(Some(value_span), format!("sweep `{key}` has no values")));
        }
        let values = items
            .iter()
            .map(|v| to_json(v).map_err(|(span, e)| source.error_at(Some(span), e)))
            .collect::<Result<Vec<_>>>()?;
        let path = resolve_field(base, &key).map_err(|e| source.error_at(Some(key_span.clone()), e))?;
        axes.push(Axis {
            key,
            path,
            values,
            span: key_span.start..value_span.end,
        });
    }
    Ok(())
}

/// A swept value as text for labels and plots: strings bare, lists joined by `/`
/// (`star/star/sum/sum`), anything else as JSON.
pub fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(short).collect::<Vec<_>>().join("/"),
        other => other.to_string(),
    }
}
