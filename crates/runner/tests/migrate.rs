//! Results folders of the old record schema: refused with a way out, and `runner migrate`
//! upgrades them to exactly what the current runner writes.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;

/// Schema 1 called the moons kind's `eval_*` metrics `top1`/`loss`, in records and summaries.
fn rename_object_keys(v: &mut Value, from: &str, to: &str) {
    if let Value::Object(map) = v {
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            let new = k.replace(from, to);
            let mut child = map.remove(&k).unwrap();
            rename_object_keys(&mut child, from, to);
            map.insert(new, child);
        }
    } else if let Value::Array(items) = v {
        for item in items {
            rename_object_keys(item, from, to);
        }
    }
}

fn downgrade(results: &Path) {
    for path in run_files(results) {
        let mut r = json(&path);
        r["schema"] = 1.into();
        for key in ["epochs", "final", "best"] {
            rename_object_keys(&mut r["outcome"][key], "eval_", "");
        }
        std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    }
    let mut s = json(&results.join("summary.json"));
    rename_object_keys(&mut s, "_eval_", "_");
    std::fs::write(results.join("summary.json"), s.to_string()).unwrap();
    let config = results.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("best_eval_top1", "best_top1")).unwrap();
}

#[test]
fn old_records_are_refused_then_migrated_to_what_a_fresh_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let body = moons_config("m", 2, &[0, 1], &["star"], "best_eval_top1 = 0.01");
    let cfg = write(dir.path(), "m.toml", &body);
    let cfg = cfg.to_str().unwrap();
    let results = dir.path().join("results/m");
    let folder = results.to_str().unwrap();
    ok(&["run", cfg], dir.path());

    let fresh_records: Vec<Value> = run_files(&results).iter().map(|p| json(p)).collect();
    let fresh_summary = json(&results.join("summary.json"));
    let fresh_config = std::fs::read_to_string(results.join("config.toml")).unwrap();
    assert!(fresh_records[0]["outcome"]["best"]["eval_top1"].is_number());

    downgrade(&results);
    assert!(json(&run_files(&results)[0])["outcome"]["best"]["top1"].is_number());

    // Neither rerun silently nor read with the wrong names: each command says how to upgrade.
    for args in [vec!["run", cfg], vec!["summarize", folder], vec!["check", folder]] {
        let o = run(&args, dir.path());
        let t = text(&o);
        assert!(!o.status.success(), "{args:?} accepted schema-1 records:\n{t}");
        assert!(
            t.contains("schema 1") && t.contains("runner migrate ") && t.contains("results/m`"),
            "{args:?}: {t}"
        );
    }
    assert_eq!(json(&run_files(&results)[0])["schema"], 1, "a record was redone");

    let out = ok(&["migrate", folder], dir.path());
    assert!(out.contains("2 record(s) upgraded"), "{out}");
    let migrated: Vec<Value> = run_files(&results).iter().map(|p| json(p)).collect();
    assert_eq!(migrated, fresh_records, "migrated records differ from fresh ones");
    assert_eq!(json(&results.join("summary.json")), fresh_summary);
    assert_eq!(
        std::fs::read_to_string(results.join("config.toml")).unwrap(),
        fresh_config
    );

    // Upgraded: runs are skipped, not redone, and a second migration changes nothing.
    ok(&["run", cfg], dir.path());
    let again: Vec<Value> = run_files(&results).iter().map(|p| json(p)).collect();
    assert_eq!(again, fresh_records, "an upgraded run was redone");
    let out = ok(&["migrate", folder], dir.path());
    assert!(
        out.contains("0 record(s) upgraded to schema 2, 2 already current"),
        "{out}"
    );
}
