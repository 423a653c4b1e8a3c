//! Bad configs: every mistake names the file, the line and the column, and the valid choices.

mod common;
use common::*;

fn error_for(body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "bad.toml", body);
    let o = run(&["plan", cfg.to_str().unwrap()], dir.path());
    assert!(
        !o.status.success(),
        "a bad config was accepted:\n{body}\noutput:\n{}",
        text(&o)
    );
    let t = text(&o);
    assert!(!t.contains("panicked"), "panic instead of an error:\n{t}");
    t
}

const HEAD: &str = "[experiment]\nname = \"t\"\nkind = \"moons\"\n";

#[test]
fn unknown_key_gives_line_column_and_the_valid_fields() {
    // line 5 is `widht = 32`, column 1.
    let t = error_for(&format!("{HEAD}[model]\nwidht = 32\n"));
    assert!(t.contains("bad.toml:5:1"), "{t}");
    assert!(t.contains("unknown field `widht`"), "{t}");
    for field in ["`width`", "`depth`", "`mode`", "`act`"] {
        assert!(t.contains(field), "valid field {field} not listed:\n{t}");
    }
}

#[test]
fn wrong_type_gives_line_and_column() {
    // line 5, `epochs = "many"`: the value starts at column 10.
    let t = error_for(&format!("{HEAD}[train]\nepochs = \"many\"\n"));
    assert!(t.contains("bad.toml:5:10"), "{t}");
    assert!(t.contains("invalid type"), "{t}");
}

#[test]
fn unknown_variant_lists_the_choices() {
    let t = error_for(&format!("{HEAD}[model]\nmode = \"starr\"\n"));
    assert!(t.contains("bad.toml:5:8"), "{t}");
    for mode in ["`sum`", "`star`"] {
        assert!(t.contains(mode), "choice {mode} not listed:\n{t}");
    }
}

#[test]
fn unknown_kind_and_unknown_section() {
    let t = error_for("[experiment]\nname = \"t\"\nkind = \"trian\"\n");
    assert!(t.contains("bad.toml:3:8"), "{t}");
    assert!(t.contains("`train`") && t.contains("`implicit_dim`"), "{t}");

    let t = error_for(&format!("{HEAD}[modle]\nwidth = 3\n"));
    assert!(t.contains("bad.toml:4:2"), "{t}");
    assert!(
        t.contains("unknown section `modle`") && t.contains("`model`") && t.contains("`sweep`"),
        "{t}"
    );
}

#[test]
fn ambiguous_sweep_key_asks_for_the_dotted_name() {
    // `seed` is both data.seed and train.seed.
    let t = error_for(&format!("{HEAD}[sweep]\nseed = [0, 1]\n"));
    assert!(t.contains("bad.toml:5:1"), "{t}");
    assert!(
        t.contains("ambiguous") && t.contains("`data.seed`") && t.contains("`train.seed`"),
        "{t}"
    );
}

#[test]
fn unknown_sweep_field_and_bad_sweep_value() {
    let t = error_for(&format!("{HEAD}[sweep]\nwidht = [1, 2]\n"));
    assert!(
        t.contains("bad.toml:5:1") && t.contains("no field named `widht`"),
        "{t}"
    );

    // The second value of the width axis is a string: the error points at the sweep entry.
    let t = error_for(&format!(
        "{HEAD}[sweep]\nmode = [\"sum\"]\nwidth = [16, \"wide\"]\n"
    ));
    assert!(t.contains("bad.toml:6:1"), "{t}");
    assert!(
        t.contains("sweep `width` = \"wide\"") && t.contains("invalid type"),
        "{t}"
    );
}

#[test]
fn toml_syntax_error_and_missing_experiment() {
    let t = error_for("[experiment\nname = 1\n");
    assert!(t.contains("bad.toml:1:"), "{t}");
    let t = error_for("[model]\nwidth = 3\n");
    assert!(t.contains("missing section [experiment]"), "{t}");
}

#[test]
fn good_config_plans_and_defaults_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "ok.toml",
        &moons_config("ok", 1, &[0, 1], &["sum", "star"], "best_eval_top1 = 0.01"),
    );
    let out = ok(&["plan", cfg.to_str().unwrap()], dir.path());
    assert!(out.contains("4 run(s)"), "{out}");
    assert!(out.contains("mode=star train.seed=1"), "{out}");

    // `config --defaults` is valid TOML that names every section of the kind.
    let defaults = ok(&["config", "--defaults", "--kind", "moons"], dir.path());
    let parsed: toml::Table = toml::from_str(
        &defaults
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap_or_else(|e| panic!("defaults are not TOML: {e}\n{defaults}"));
    for section in ["experiment", "model", "data", "train", "output"] {
        assert!(
            parsed.contains_key(section),
            "[{section}] missing from the defaults:\n{defaults}"
        );
    }
    assert_eq!(
        parsed["train"]["optimizer"].as_str(),
        Some("sgd"),
        "moons defaults are the reference recipe"
    );
}

#[test]
fn retired_metric_names_point_to_the_new_ones() {
    // line 6 is `check = { best_top1 = 0.02 }`: the key starts at column 11.
    let t = error_for(&format!(
        "{HEAD}[output]\nmetric = \"best_train_top1\"\ncheck = {{ best_top1 = 0.02 }}\n"
    ));
    assert!(t.contains("bad.toml:6:11"), "{t}");
    assert!(t.contains("`best_top1` is now called `best_eval_top1`"), "{t}");
    let train = "[experiment]\nname = \"t\"\nkind = \"train\"\n[output]\nmetric = \"final_top1\"\n";
    let t = error_for(train);
    assert!(
        t.contains("bad.toml:5:10") && t.contains("`final_test_top1`"),
        "{t}"
    );
}
