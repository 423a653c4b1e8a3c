//! The experiment file: TOML in, typed and validated sections out.
//!
//! A config has the sections `[experiment]`, `[model]`, `[data]`, `[train]`, `[sweep]` and
//! `[output]`. Which of `[model]`/`[data]`/`[train]` a kind reads, and their types, belong to the
//! kind (`kinds/`); this file handles what every kind shares and turns every mistake into an error
//! that names the file, the line and the column (toml keeps spans; serde lists the valid fields
//! and variants).
//!
//! A config becomes runs in two steps: this file yields an [`Experiment`] (the base run config as
//! canonical JSON with every default filled in, plus the sweep axes), and `sweep.rs` expands it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::kinds::{self, KindName};

/// The sections every config may have besides the kind's own.
pub const COMMON_SECTIONS: &[&str] = &["experiment", "sweep", "output"];

/// The text of a config file, kept for error messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: &'static str,
}

impl Source {
    /// Reads a config. The text is leaked: a process reads a handful of small configs, and toml's
    /// spanned tables borrow from it.
    pub fn read(path: &Path) -> Result<Source> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        Ok(Source::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: String) -> Source {
        Source {
            path: path.to_path_buf(),
            text: Box::leak(text.into_boxed_str()),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// `path:line:col: message`, followed by the offending line and a caret.
    pub fn error_at(&self, span: Option<Range<usize>>, message: impl std::fmt::Display) -> anyhow::Error {
        let Some(span) = span else {
            return anyhow::anyhow!("{}: {message}", self.path.display());
        };
        let (line, col) = self.line_col(span.start);
        let text_line = self.text.lines().nth(line - 1).unwrap_or("");
        let width = self.text[span.clone()]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count().max(1));
        anyhow::anyhow!(
            "{}:{line}:{col}: {message}\n{line:>5} | {text_line}\n      | {}{}",
            self.path.display(),
            " ".repeat(col - 1),
            "^".repeat(width)
        )
    }

    fn toml_error(&self, err: toml::de::Error) -> anyhow::Error {
        let mut message = err.message().trim_end().to_string();
        // toml reports "missing field" on the table, not on a key: say which table.
        if message.starts_with("missing field") && err.span().is_none() {
            message.push_str(" (at the top level of the file)");
        }
        self.error_at(err.span(), message)
    }
}

/// `[experiment]`: what the experiment is called and which kind of run it sweeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSection {
    /// Names the results folder (`results/<name>`); letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// What one run does: `train` (an image classifier), `moons` (the 2-D toy),
    /// `implicit_dim` (star-math's rank measurements) or `latency` (StarNet inference timing).
    pub kind: KindName,
    /// One line for humans; copied into the summary and the plots' titles.
    #[serde(default)]
    pub description: String,
}

/// `[output]`: where results go, how they are drawn (every plot as SVG and PNG) and how `runner check` compares them.
/// Nothing here changes what a run computes, so it is not part of a run's id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSection {
    /// Results folder. Default: `results/<experiment.name>` (relative to the working directory).
    pub dir: Option<PathBuf>,
    /// Summary metric on the y axis of sweep plots (e.g. "best_top1", "final_top1").
    pub metric: String,
    /// Swept field on the x axis of the sweep plot (e.g. "width", "depth"). Default: the first
    /// numeric axis that is not a seed.
    pub x: Option<String>,
    /// Swept field that separates the lines of the sweep plot. Default: "mode" when swept.
    pub group: Option<String>,
    /// Reference numbers drawn beside ours: line name -> (x value -> metric), e.g.
    /// `paper = { sum = { 96 = 51.1, 128 = 58.5 }, star = { 96 = 57.6, 128 = 64.0 } }`.
    pub paper: BTreeMap<String, BTreeMap<String, f64>>,
    /// Legend label for the reference numbers.
    pub paper_label: String,
    /// Tolerances for `runner check`: summary metric -> largest allowed absolute difference of
    /// the mean, e.g. `check = { best_top1 = 0.02 }`. Only metrics named here are checked.
    pub check: BTreeMap<String, f64>,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection {
            dir: None,
            metric: "best_top1".to_string(),
            x: None,
            group: None,
            paper: BTreeMap::new(),
            paper_label: "paper (ImageNet-1k)".to_string(),
            check: BTreeMap::new(),
        }
    }
}

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

/// A `--override section.field=value` from the command line, applied to every run after the
/// sweep (so it wins over swept values; the points keep their labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: Vec<String>,
    pub value: Value,
    pub text: String,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (key, raw) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected section.field=value"))?;
        let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
        if path.len() < 2 || path.iter().any(String::is_empty) {
            return Err(format!("`{s}`: the key must be dotted, e.g. model.mode=sum"));
        }
        let raw = raw.trim();
        // A TOML value (`64`, `"sum"`, `[1, 2]`, `true`); a bare word is taken as a string.
        let value = match DeValue::parse(raw) {
            Ok(v) => de_to_json(v.into_inner()).map_err(|e| format!("`{s}`: {e}"))?,
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(Override {
            path,
            value,
            text: s.to_string(),
        })
    }
}

/// A validated config: the base run config and the sweep over it.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub source: Source,
    pub experiment: ExperimentSection,
    pub output: OutputSection,
    /// The kind's sections (`model`, `data`, `train`, ...) with every default filled in.
    pub base: Value,
    pub axes: Vec<Axis>,
    /// `[[sweep.extra]]` points, run after the grid.
    pub extras: Vec<Extra>,
    pub overrides: Vec<Override>,
}

impl Experiment {
    pub fn load(path: &Path) -> Result<Experiment> {
        Experiment::parse(Source::read(path)?)
    }

    pub fn parse(source: Source) -> Result<Experiment> {
        let root = DeTable::parse(source.text).map_err(|e| source.toml_error(e))?;
        let root_span = root.span();
        let mut table = root.into_inner();

        let experiment: ExperimentSection = match table.remove("experiment") {
            Some(v) => typed(&source, v)?,
            None => return Err(source.error_at(Some(root_span.start..root_span.start), "missing section [experiment] (name = \"...\", kind = \"train\" | \"moons\" | \"implicit_dim\" | \"latency\")")),
        };
        check_name(&source, &experiment.name)?;
        let kind = kinds::kind(experiment.kind);

        // Every top-level key must be a section this kind reads.
        let allowed: Vec<&str> = COMMON_SECTIONS.iter().chain(kind.sections()).copied().collect();
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                return Err(source.error_at(
                    Some(key.span()),
                    format!(
                        "unknown section `{}` for kind `{}`, expected one of {}",
                        key.get_ref(),
                        experiment.kind.as_str(),
                        quoted(&allowed)
                    ),
                ));
            }
            if !value.get_ref().is_table() {
                return Err(source.error_at(
                    Some(value.span()),
                    format!("`{}` must be a table ([{}])", key.get_ref(), key.get_ref()),
                ));
            }
        }

        let output: OutputSection = match table.remove("output") {
            Some(v) => typed(&source, v)?,
            None => OutputSection::default(),
        };
        let sweep = table.remove("sweep");

        // The kind's sections: typed with spans, then canonical JSON with defaults filled in.
        let mut sections = serde_json::Map::new();
        for (key, value) in table {
            kind.check_section(key.get_ref(), value.clone())
                .map_err(|e| source.toml_error(e))?;
            sections.insert(key.get_ref().to_string(), de_to_json(value.into_inner())?);
        }
        let base = kind
            .canonical(Value::Object(sections))
            .map_err(|e| source.error_at(Some(root_span.start..root_span.start), e))?;

        let (axes, extras) = match sweep {
            Some(s) => parse_sweep(&source, s, &base)?,
            None => (Vec::new(), Vec::new()),
        };
        Ok(Experiment {
            source,
            experiment,
            output,
            base,
            axes,
            extras,
            overrides: Vec::new(),
        })
    }

    /// Where this experiment's results go: `--results` wins, then `[output] dir`, then
    /// `results/<name>`.
    pub fn results_dir(&self, cli: Option<&Path>) -> PathBuf {
        match (cli, &self.output.dir) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(dir)) => dir.clone(),
            (None, None) => PathBuf::from("results").join(&self.experiment.name),
        }
    }
}

fn check_name(source: &Source, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(source.error_at(
            None,
            format!("[experiment] name = {name:?}: use letters, digits, '_', '-' or '.' (it names a folder)"),
        ));
    }
    Ok(())
}

/// Deserialises one spanned TOML value into `T`, errors pointing into the file.
pub fn typed<T: serde::de::DeserializeOwned>(
    source: &Source,
    value: toml::Spanned<DeValue<'static>>,
) -> Result<T> {
    T::deserialize(ValueDeserializer::from(value)).map_err(|e| source.toml_error(e))
}

/// A parsed TOML value as JSON (the form runs are stored, hashed and swept in).
pub fn de_to_json(value: DeValue<'_>) -> Result<Value> {
    Value::deserialize(ValueDeserializer::from(toml::Spanned::new(0..0, value)))
        .map_err(|e| anyhow::anyhow!("{}", e.message()))
}

fn parse_sweep(
    source: &Source,
    sweep: toml::Spanned<DeValue<'static>>,
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
fn parse_extras(source: &Source, value: toml::Spanned<DeValue<'static>>, base: &Value) -> Result<Vec<Extra>> {
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
            let json = de_to_json(value.get_ref().clone())?;
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
    table: DeTable<'static>,
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
            .map(|v| de_to_json(v.get_ref().clone()))
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

/// Resolves a sweep key to the field it sets. A dotted key (`model.width`) must exist as written;
/// a bare key (`width`) must name exactly one field anywhere in the run config.
pub fn resolve_field(base: &Value, key: &str) -> Result<Vec<String>, String> {
    if key.contains('.') {
        let path: Vec<String> = key.split('.').map(str::to_string).collect();
        let parent = path[..path.len() - 1].iter().try_fold(base, |v, k| v.get(k));
        return match parent {
            Some(Value::Object(map)) if map.contains_key(path.last().unwrap()) => Ok(path),
            Some(Value::Object(map)) => Err(format!(
                "no field `{key}`; `{}` has {}",
                path[..path.len() - 1].join("."),
                quoted(&map.keys().map(String::as_str).collect::<Vec<_>>())
            )),
            _ => Err(format!(
                "no section `{}` in this kind's config",
                path[..path.len() - 1].join(".")
            )),
        };
    }
    let mut found = Vec::new();
    find_fields(base, key, &mut Vec::new(), &mut found);
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let mut all = Vec::new();
            leaf_paths(base, &mut Vec::new(), &mut all);
            Err(format!("no field named `{key}`; fields are {}", quoted(&all)))
        }
        _ => Err(format!(
            "`{key}` is ambiguous: it matches {}; write the dotted name",
            quoted(&found.iter().map(|p| p.join(".")).collect::<Vec<_>>())
        )),
    }
}

fn find_fields(v: &Value, key: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    if let Value::Object(map) = v {
        for (k, child) in map {
            path.push(k.clone());
            if k == key {
                found.push(path.clone());
            }
            find_fields(child, key, path, found);
            path.pop();
        }
    }
}

fn leaf_paths(v: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                path.push(k.clone());
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.join(".")),
    }
}

/// Sets `path` in a JSON tree, creating tables on the way.
pub fn set_path(root: &mut Value, path: &[String], value: Value) -> Result<()> {
    let mut node = root;
    for key in &path[..path.len() - 1] {
        let Value::Object(map) = node else {
            bail!("`{}` is not a table", path.join("."))
        };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    let Value::Object(map) = node else {
        bail!("`{}` is not inside a table", path.join("."))
    };
    map.insert(path.last().unwrap().clone(), value);
    Ok(())
}

pub fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl KindName {
    pub fn as_str(self) -> &'static str {
        match self {
            KindName::ImplicitDim => "implicit_dim",
            KindName::Train => "train",
            KindName::Moons => "moons",
            KindName::Latency => "latency",
        }
    }
}
