//! The workspace's import graph: no circle in any crate, and the runner's layers in order (each
//! file imports only files of its own layer or below). Between crates cargo refuses a circle by
//! itself; this holds the same within each crate. Reads the sources only: runs in milliseconds.

use std::path::{Path, PathBuf};

use architecture::Graph;

fn crates() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    all.sort();
    all
}

#[test]
fn no_crate_has_an_import_circle() {
    let crates = crates();
    assert!(crates.len() >= 12, "found only {crates:?}");
    let mut circles = Vec::new();
    for dir in &crates {
        let graph = Graph::of_crate(dir).unwrap();
        assert!(!graph.edges.is_empty(), "{}: no source files read", dir.display());
        for cycle in graph.cycles() {
            circles.push(format!(
                "{}: {}",
                dir.file_name().unwrap().to_string_lossy(),
                graph.edges_within(&cycle).join(", ")
            ));
        }
    }
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

/// The runner's layers, bottom first (`src/<layer>.rs` and `src/<layer>/`); `lib.rs` lists them
/// and the binary (`main.rs`, `cli.rs`) sits on top.
const RUNNER_LAYERS: [&str; 3] = ["results", "report", "commands"];

fn layer(file: &Path) -> Option<usize> {
    let mut parts = file.strip_prefix("src").ok()?.components();
    let first = parts
        .next()?
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string();
    RUNNER_LAYERS.iter().position(|l| *l == first)
}

#[test]
fn every_runner_file_imports_only_its_layer_or_below() {
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner");
    let graph = Graph::of_crate(&runner).unwrap();
    let mut upward = Vec::new();
    for (file, targets) in &graph.edges {
        let Some(from) = layer(file) else { continue };
        for target in targets {
            if let Some(to) = layer(target)
                && to > from
            {
                upward.push(format!(
                    "{} ({}) imports {} ({})",
                    file.display(),
                    RUNNER_LAYERS[from],
                    target.display(),
                    RUNNER_LAYERS[to]
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports of a layer above:\n{}",
        upward.join("\n")
    );
    for l in RUNNER_LAYERS {
        assert!(
            graph
                .edges
                .keys()
                .any(|f| layer(f) == RUNNER_LAYERS.iter().position(|x| *x == l)),
            "no file of the layer {l}"
        );
    }
}

/// The checks can fail: a crate with a circle and an upward import is caught.
#[test]
fn a_circle_and_an_upward_import_are_found() {
    let dir = std::env::temp_dir().join(format!("architecture-test-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("report")).unwrap();
    let files = [
        ("lib.rs", "pub mod results;\npub mod report;\n"),
        ("results.rs", "//! uses [`crate::report::tables`]\n"),
        (
            "report.rs",
            "pub mod summary;\npub mod tables;\npub struct Shared;\nfn f() { tables::g() }\n",
        ),
        ("report/summary.rs", "use super::tables::markdown;\n"),
        (
            "report/tables.rs",
            "use crate::report::summary::Summary;\nuse super::Shared;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).unwrap();
    }
    let graph = Graph::of_crate(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        graph.cycles(),
        vec![vec![
            PathBuf::from("src/report/summary.rs"),
            PathBuf::from("src/report/tables.rs")
        ]]
    );
    // report.rs and its child tables.rs refer to each other: containment, no circle.
    assert!(!graph.edges[Path::new("src/report.rs")].contains(Path::new("src/report/tables.rs")));
    let results_imports = &graph.edges[Path::new("src/results.rs")];
    assert!(results_imports.contains(Path::new("src/report/tables.rs")));
    assert_eq!(layer(Path::new("src/results.rs")), Some(0));
    assert_eq!(layer(Path::new("src/report/tables.rs")), Some(1));
}
