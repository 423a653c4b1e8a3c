//! `runner config --defaults`: every section of every kind with its default values, as TOML.
//!
//! The defaults live where the types are (`Default` impls, documented field by field):
//! `[experiment]`/`[output]` in the `config` crate, `[model]` in demonet/starnet, `[data]` in
//! `training::data::DataSpec`, `[train]` in `training::TrainConfig`, `[implicit_dim]` in star-math.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{Value, json};

use config::OutputSection;
use kinds::{KindName, RunConfig};

pub fn toml(only: Option<KindName>) -> Result<String> {
    let mut out = String::from(
        "# starlab runner: config defaults (a field left out of a config takes the value shown).\n\
         # [sweep] has no default: `field = [v1, v2]` runs one run per value (grid over all fields).\n",
    );
    for kind in KindName::ALL.into_iter().filter(|k| only.is_none_or(|o| o == *k)) {
        let _ = writeln!(out, "\n# ---------------- kind = \"{}\" ----------------", kind);
        let mut sections = vec![(
            "experiment",
            json!({ "name": "my_experiment", "kind": kind, "description": "" }),
        )];
        let own = RunConfig::defaults(kind).to_json();
        for name in RunConfig::sections(kind) {
            sections.push((name, own.get(*name).cloned().unwrap_or_default()));
        }
        let mut output = serde_json::to_value(OutputSection::for_kind(kind))?;
        if let Value::Object(m) = &mut output {
            m.remove("dir");
            m.remove("x");
            m.remove("group");
        }
        sections.push(("output", output));
        // One section at a time, in the order a config is usually written.
        for (name, value) in sections {
            let one = json!({ name: strip_nulls(value) });
            out.push_str(&toml::to_string(&one)?);
            out.push('\n');
        }
        out.push_str("# [output] dir (default results/<name>), x and group (default: chosen from the sweep) are unset.\n");
    }
    Ok(out)
}

/// TOML has no null: an unset optional field is simply left out.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
