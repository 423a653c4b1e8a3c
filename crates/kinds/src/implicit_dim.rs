//! `kind = "implicit_dim"`: star-math's measurements of the implicit dimension of the star
//! operation. The `[implicit_dim]` section is `star_math::ImplicitDimConfig` (probes, sampling,
//! rank rule). A run's records go into its record's `outcome.extra.records`; the summary step
//! also writes them all to `results/<name>/records.json` (one JSON array, one record per
//! measurement); the runner's report draws them.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use star_math::{ImplicitDimConfig, Record};

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::kind::RunKind;
use crate::outcome::RunOutcome;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImplicitDimSections {
    pub implicit_dim: ImplicitDimConfig,
}

pub struct ImplicitDim;

impl RunKind for ImplicitDim {
    type Sections = ImplicitDimSections;
    const SECTIONS: &'static [&'static str] = &["implicit_dim"];

    fn validate(sections: &ImplicitDimSections) -> Result<(), FieldError> {
        sections
            .implicit_dim
            .validate()
            .map_err(|e| FieldError::from_message("implicit_dim", e))
    }

    fn execute(sections: ImplicitDimSections, ctx: &RunContext) -> Result<RunOutcome> {
        let mut cfg = sections.implicit_dim;
        if cfg.threads == 0 {
            // Not part of the result: star-math seeds each probe independently of threads.
            cfg.threads = ctx.threads;
        }
        let progress = ctx.progress;
        progress.set_epochs(0);
        let records = star_math::run(&cfg, &mut |done, total| {
            progress.message(&format!("probe {done}/{total}"));
        })?;
        let reliable = records.iter().filter(|r| r.reliable).count();
        let measured = records.iter().filter(|r| r.measured_rank.is_some()).count();
        Ok(RunOutcome {
            other: BTreeMap::from([
                ("records".to_string(), records.len() as f64),
                ("reliable".to_string(), reliable as f64),
                ("measured".to_string(), measured as f64),
            ]),
            extra: json!({ "records": records }),
            ..RunOutcome::default()
        })
    }
}

/// The measurements a run recorded (`outcome.extra.records`); an error names what is wrong.
pub fn records(outcome: &RunOutcome) -> Result<Vec<Record>> {
    let records = outcome
        .extra
        .get("records")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    serde_json::from_value(records)
        .map_err(|e| anyhow::anyhow!("outcome.extra.records is not a list of measurements: {e}"))
}
