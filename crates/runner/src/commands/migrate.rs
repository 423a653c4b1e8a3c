//! `runner migrate RESULTS`: upgrades a results folder written by an older runner, in place.
//!
//! Schema 1 -> 2 renames metrics so that a name says what it is computed on (README, "Metrics";
//! the table of names is `kinds::metrics`):
//! per-epoch, best and final `top1`/`top5`/`loss` were the evaluation split's; they become
//! `test_*` for `train` runs (the test split) and `eval_*` for `moons` runs (eval mode on the
//! training points: moons has no test set). The summary names follow (`best_top1` ->
//! `best_test_top1`), in `config.toml` too (`[output] metric`, `check`). Numbers are not
//! touched; the summary and plots are then rebuilt from the upgraded records (`summarize`).
//! Running it again on an upgraded folder changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use kinds::KindName;
use kinds::metrics::{epoch_renames, summary_renames};

use crate::report;
use crate::results::{self, RunRecord, SCHEMA, load_saved, schema_of};

/// What a migration changed.
#[derive(Debug, Default)]
pub struct MigrationReport {
    /// Records upgraded, and records already at [`SCHEMA`].
    pub upgraded: usize,
    pub current: usize,
    /// Whether `config.toml` named old metrics.
    pub config_changed: bool,
    /// Plots named after an old metric, removed (redrawn under the new name).
    pub removed_plots: Vec<PathBuf>,
}

fn rename_keys(map: &mut BTreeMap<String, f64>, renames: &[(&str, String)]) {
    for (old, new) in renames {
        if let Some(v) = map.remove(*old) {
            map.insert(new.clone(), v);
        }
    }
}

/// Upgrades one schema-1 record in place.
fn upgrade_record(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    value["schema"] = SCHEMA.into();
    let mut record: RunRecord =
        serde_json::from_value(value).with_context(|| format!("{} is not a run record", path.display()))?;
    let renames = epoch_renames(record.kind);
    for epoch in &mut record.outcome.epochs {
        rename_keys(epoch, &renames);
    }
    rename_keys(&mut record.outcome.final_metrics, &renames);
    rename_keys(&mut record.outcome.best, &renames);
    results::write_json(path, &record)
}

/// Renames whole words of `text` (letters, digits, `_`), so `best_top1` is renamed but
/// `best_top1_x` only when `best_top1_x` itself is listed.
pub fn rename_words(text: &str, renames: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let new = renames.iter().find(|(old, _)| old == word).map(|(_, new)| new);
        out.push_str(new.unwrap_or(word));
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `[experiment] kind` of a saved config, read before its metric names are upgraded (the full
/// parse refuses old names).
fn saved_kind(config: &Path) -> Result<KindName> {
    #[derive(serde::Deserialize)]
    struct Saved {
        experiment: Head,
    }
    #[derive(serde::Deserialize)]
    struct Head {
        kind: KindName,
    }
    let text = std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let saved: Saved =
        toml::from_str(&text).with_context(|| format!("{}: no [experiment] kind", config.display()))?;
    Ok(saved.experiment.kind)
}

/// Upgrades `results` (records, `config.toml`), then rebuilds `summary.json` and the plots.
pub fn migrate(results: &Path) -> Result<MigrationReport> {
    let config = results.join("config.toml");
    if !config.is_file() {
        bail!(
            "{} has no config.toml: is it a results folder written by `runner run`?",
            results.display()
        );
    }
    let mut report = MigrationReport::default();
    let kind = saved_kind(&config)?;
    let renames = summary_renames(kind);

    // Plot stems name the metric (`best_top1_vs_width`, `best_top1_bars`, `best_top1_dots`).
    let mut words = renames.clone();
    for (old, new) in &renames {
        for stem in ["_vs_width", "_vs_depth", "_bars", "_dots"] {
            words.push((format!("{old}{stem}"), format!("{new}{stem}")));
        }
    }
    let text = std::fs::read_to_string(&config)?;
    let upgraded = rename_words(&text, &words);
    if upgraded != text {
        results::write_atomic(&config, upgraded.as_bytes())?;
        report.config_changed = true;
    }

    let mut paths: Vec<PathBuf> = match std::fs::read_dir(results::runs_dir(results)) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.extension().is_none_or(|e| e != "json") || name.starts_with('.') {
            continue;
        }
        match schema_of(&path) {
            Some(1) => {
                upgrade_record(&path)?;
                report.upgraded += 1;
            }
            Some(SCHEMA) => report.current += 1,
            Some(other) => bail!(
                "{}: record schema {other}; this runner upgrades schema 1 to {SCHEMA}",
                path.display()
            ),
            None => tracing::warn!("{}: not a run record, left as it is", path.display()),
        }
    }

    for entry in std::fs::read_dir(results)? {
        let path = entry?.path();
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let old_metric = renames.iter().any(|(old, _)| {
            stem.strip_prefix(old.as_str())
                .is_some_and(|rest| rest.starts_with("_vs_") || rest == "_bars" || rest == "_dots")
        });
        if old_metric && path.extension().is_some_and(|e| e == "svg" || e == "png") {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            report.removed_plots.push(path);
        }
    }

    let exp = load_saved(results)?;
    let plan = sweep::plan(&exp)?;
    report::write(&exp, &plan, results, true)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_words_are_renamed() {
        let r = summary_renames(KindName::Train);
        let text = "metric = \"best_top1\"\ncheck = { best_top1 = 0.02, best_train_top1 = 0.1 }";
        assert_eq!(
            rename_words(text, &r),
            "metric = \"best_test_top1\"\ncheck = { best_test_top1 = 0.02, best_train_top1 = 0.1 }"
        );
        assert_eq!(rename_words("x best_top1x", &r), "x best_top1x");
    }
}
