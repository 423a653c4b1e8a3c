//! The config a results folder was made from: `config.toml` and `overrides.json`, saved by
//! `runner run` and read back by `summarize`, `check` and `migrate`.

use std::path::Path;

use anyhow::{Context, Result};
use config::{Experiment, Override};

use super::store::{write_atomic, write_json};

/// Records the config next to the results: `summarize` re-reads it from there.
pub fn save_config(exp: &Experiment, results: &Path) -> Result<()> {
    let config = results.join("config.toml");
    // Unchanged files are left alone (a finished, read-only folder still reports).
    if std::fs::read_to_string(&config).ok().as_deref() != Some(exp.source.text.as_str()) {
        write_atomic(&config, exp.source.text.as_bytes())?;
    }
    let overrides = results.join("overrides.json");
    if exp.overrides.is_empty() {
        if !overrides.exists() {
            return Ok(());
        }
        // Slurm tasks save concurrently: another may have removed it already.
        match std::fs::remove_file(&overrides) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", overrides.display()));
            }
            _ => {}
        }
    } else {
        let texts: Vec<&str> = exp.overrides.iter().map(|o| o.text.as_str()).collect();
        write_json(&overrides, &texts)?;
    }
    Ok(())
}

/// The experiment a results folder was produced by: its `config.toml` and `overrides.json`.
pub fn load_saved(results: &Path) -> Result<Experiment> {
    let config = results.join("config.toml");
    if !config.is_file() {
        anyhow::bail!(
            "{} has no config.toml: is it a results folder written by `runner run`? (it saves its config there)",
            results.display()
        );
    }
    let mut exp = Experiment::load(&config)?;
    let overrides = results.join("overrides.json");
    if overrides.is_file() {
        let texts: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&overrides)?)
            .with_context(|| format!("{} is not a JSON list of overrides", overrides.display()))?;
        exp.overrides = texts
            .iter()
            .map(|t| {
                t.parse::<Override>()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", overrides.display()))
            })
            .collect::<Result<_>>()?;
    }
    Ok(exp)
}
