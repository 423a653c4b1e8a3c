//! Values a config gets wrong are reported when it is read, before any run starts, at the line
//! and column of the field (or of the sweep entry that set it).

mod common;
use common::*;

fn plan_error(body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "v.toml", body);
    let o = run(&["plan", cfg.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(101), "{}", text(&o));
    assert!(!dir.path().join("results").exists());
    text(&o)
}

const HEAD: &str = "[experiment]\nname = \"v\"\nkind = \"train\"\n\n";

#[test]
fn a_negative_learning_rate_is_caught_at_its_line() {
    let err = plan_error(&format!("{HEAD}[train]\nepochs = 1\nlr = -1\n"));
    assert!(
        err.contains("v.toml:7:1:") && err.contains("`lr`") && err.contains("must be > 0"),
        "{err}"
    );
}

#[test]
fn a_bad_swept_value_is_caught_at_the_sweep_entry() {
    let err = plan_error(&format!(
        "{HEAD}[model]\nin_chans = 1\nnum_classes = 10\n\n[train]\nepochs = 1\n\n[sweep]\n\"train.lr\" = [0.1, -1]\n"
    ));
    assert!(
        err.contains("v.toml:13:1:") && err.contains("run 1") && err.contains("`lr`"),
        "{err}"
    );
}

#[test]
fn a_patch_larger_than_the_images_is_caught() {
    let err = plan_error(&format!(
        "{HEAD}[model]\npatch = 32\nin_chans = 1\nnum_classes = 10\n"
    ));
    assert!(
        err.contains("v.toml:6:1:") && err.contains("larger than the 28 px images"),
        "{err}"
    );
}

#[test]
fn a_model_that_does_not_fit_the_data_is_caught() {
    let err = plan_error(&format!("{HEAD}[model]\nin_chans = 3\nnum_classes = 10\n"));
    assert!(
        err.contains("v.toml:6:1:") && err.contains("`in_chans` = 3"),
        "{err}"
    );
}

#[test]
fn a_negative_check_tolerance_is_caught() {
    let err = plan_error(&format!(
        "{HEAD}[model]\nin_chans = 1\nnum_classes = 10\n\n[output]\ncheck = {{ test_top1 = -0.1 }}\n"
    ));
    assert!(
        err.contains("v.toml:10:1:") && err.contains("must be a number >= 0"),
        "{err}"
    );
}

#[test]
fn zero_threads_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "m.toml",
        &moons_config("m", 1, &[0], &["sum"], "eval_loss = 0"),
    );
    let o = run(&["run", cfg.to_str().unwrap(), "--threads", "0"], dir.path());
    assert_eq!(o.status.code(), Some(101));
    assert!(text(&o).contains("--threads"), "{}", text(&o));
}
