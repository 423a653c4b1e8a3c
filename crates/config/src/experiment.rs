//! [`Experiment::parse`]: a config file becomes its typed sections, the base run config (the
//! kind's sections as canonical JSON, every default filled in) and the sweep over it. Types and
//! names are checked here, straight from the file; a run's values are validated once it is
//! resolved (the `sweep` crate, through `kinds::RunConfig::validate`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;
use kinds::{KindName, RunConfig};
use serde_json::Value;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::json_path::{quoted, to_json};
use crate::locate::key_span;
use crate::overrides::Override;
use crate::sections::{COMMON_SECTIONS, ExperimentSection, OutputSection};
use crate::source::Source;
use crate::sweep::{Axis, Extra, parse_sweep};

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
    /// Where `[sweep]` is in the file, when it has one.
    pub sweep_span: Option<Range<usize>>,
    pub overrides: Vec<Override>,
}

impl Experiment {
    pub fn load(path: &Path) -> Result<Experiment> {
        Experiment::parse(Source::read(path)?)
    }

    pub fn parse(source: Source) -> Result<Experiment> {
        let root = DeTable::parse(&source.text).map_err(|e| source.toml_error(e))?;
        let root_span = root.span();
        let mut table = root.into_inner();

        let experiment: ExperimentSection = match table.remove("experiment") {
            Some(v) => typed(&source, v)?,
            None => {
                return Err(source.error_at(
                    Some(root_span.start..root_span.start),
                    format!(
                        "missing section [experiment] (name = \"...\", kind = {})",
                        KindName::choices()
                    ),
                ));
            }
        };
        check_name(&source, &experiment.name)?;
        let kind = experiment.kind;

        // Every top-level key must be a section this kind reads.
        let allowed: Vec<&str> = COMMON_SECTIONS
            .iter()
            .chain(RunConfig::sections(kind))
            .copied()
            .collect();
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                return Err(source.error_at(
                    Some(key.span()),
                    format!(
                        "unknown section `{}` for kind `{}`, expected one of {}",
                        key.get_ref(),
                        experiment.kind,
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

        let output_span = table.get("output").map(|v| v.span());
        let output = match table.remove("output") {
            Some(v) => {
                refuse_retired_metrics(&source, &v, experiment.kind)?;
                let has_metric = v.get_ref().as_table().is_some_and(|t| t.contains_key("metric"));
                let mut output: OutputSection = typed(&source, v)?;
                if !has_metric {
                    output.metric = OutputSection::for_kind(experiment.kind).metric;
                }
                output
            }
            None => OutputSection::for_kind(experiment.kind),
        };
        output
            .check_tolerances()
            .map_err(|e| source.error_at(key_span(&source.text, &["output", "check"]), e))?;
        let sweep = table.remove("sweep");

        // The kind's sections: typed with spans, then canonical JSON with defaults filled in.
        let mut sections = serde_json::Map::new();
        for (key, value) in table {
            RunConfig::check_section(kind, key.get_ref(), value.clone()).map_err(|e| source.toml_error(e))?;
            let json = to_json(&value).map_err(|(span, e)| source.error_at(Some(span), e))?;
            sections.insert(key.get_ref().to_string(), json);
        }
        let base = RunConfig::decode(kind, Value::Object(sections))
            .map_err(|e| source.error_at(Some(kind_span(&source, root_span.start)), e))?
            .to_json();

        let sweep_span = sweep.as_ref().map(|s| s.span());
        let (axes, extras) = match sweep {
            Some(s) => parse_sweep(&source, s, &base)?,
            None => (Vec::new(), Vec::new()),
        };
        for c in output.compare.iter().chain(&output.also_compare) {
            c.check(&axes)
                .map_err(|e| source.error_at(output_span.clone(), e))?;
        }
        // A baseline label names the extra `linear`, or a family `linear, 7 epochs`, ...
        let family = |b: &str, l: &str| l == b || l.starts_with(&format!("{b}, "));
        for (key, label) in output
            .baseline
            .iter()
            .map(|l| ("baseline", l))
            .chain(output.also_baseline.iter().map(|l| ("also_baseline", l)))
        {
            if !extras.iter().any(|e| family(label, &e.label)) {
                let labels: Vec<&str> = extras.iter().map(|e| e.label.as_str()).collect();
                let msg =
                    format!("[output] {key}: no [[sweep.extra]] is labelled {label:?} (labels: {labels:?})");
                return Err(source.error_at(output_span, msg));
            }
        }
        Ok(Experiment {
            source,
            experiment,
            output,
            base,
            axes,
            extras,
            sweep_span,
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

/// The `[experiment] kind` value (what chose the kind's defaults), else `fallback`.
fn kind_span(source: &Source, fallback: usize) -> Range<usize> {
    key_span(&source.text, &["experiment", "kind"]).unwrap_or(fallback..fallback)
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
            key_span(&source.text, &["experiment", "name"]),
            format!("[experiment] name = {name:?}: use letters, digits, '_', '-' or '.' (it names a folder)"),
        ));
    }
    Ok(())
}

/// Metric names of record schema 1 (`best_top1`) in `[output]` `metric` or `check`: an error
/// that names the new one, rather than a plot or a check of a metric that no longer exists.
fn refuse_retired_metrics(
    source: &Source,
    output: &toml::Spanned<DeValue<'_>>,
    kind: KindName,
) -> Result<()> {
    let Some(table) = output.get_ref().as_table() else {
        return Ok(());
    };
    let mut named = Vec::new();
    for (key, value) in table {
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("metric", DeValue::String(m)) => named.push((m.to_string(), value.span())),
            ("check", DeValue::Table(check)) => {
                named.extend(check.keys().map(|k| (k.get_ref().to_string(), k.span())));
            }
            _ => {}
        }
    }
    let renames = kinds::metrics::summary_renames(kind);
    for (name, span) in named {
        if let Some((_, new)) = renames.iter().find(|(old, _)| *old == name) {
            return Err(source.error_at(
                Some(span),
                format!(
                    "metric `{name}` is now called `{new}` (names say what they are computed on: \
                     README, \"Metrics\"; `runner migrate` upgrades old results folders)"
                ),
            ));
        }
    }
    Ok(())
}

/// Deserialises one spanned TOML value into `T`, errors pointing into the file.
pub fn typed<T: serde::de::DeserializeOwned>(
    source: &Source,
    value: toml::Spanned<DeValue<'_>>,
) -> Result<T> {
    T::deserialize(ValueDeserializer::from(value)).map_err(|e| source.toml_error(e))
}
