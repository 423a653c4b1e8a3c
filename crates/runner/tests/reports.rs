//! Reports quote their data: every measured number in `experiments/<name>.md` must appear in
//! `results/<name>/summary.md` (or an arm's, `results/<name>_*/summary.md`, or another summary the
//! report names as `results/<folder>/summary.md`), the tables `runner summarize` writes from the run records. So a
//! report cannot keep a number after its results changed, nor carry one typed by hand.
//!
//! "A number" is a decimal with a fractional part (`74.65`, `+1.20`, `-0.3`): accuracies,
//! differences, interval bounds, slopes. Integers (seeds, widths, image counts) are settings.
//! Numbers that do not come from the summary are allowed only on a line that says where they come
//! from, with one of the labels in [`LABELS`]: the paper's tables, the pilot that chose the
//! recipe, wall times and CPU-seconds, settings of the recipe, values worked out from a formula.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Labels a line may carry to quote numbers that are not in the summary: the paper's, the
/// pilot's, wall times and CPU-seconds, settings of the recipe, and numbers worked out from a
/// formula given in the text.
const LABELS: [&str; 5] = ["[paper]", "[pilot]", "[timing]", "[setting]", "[derived]"];

/// The marker of a report written before its results: its rule, no measured number.
const PENDING: &str = "[pending results]";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Decimals with one fractional part, without their sign (`2.11.0`, a version, is none).
fn decimals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit()
            || (i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let token = text[start..i].trim_end_matches('.');
        let followed_by_word =
            i < bytes.len() && bytes[i].is_ascii_alphabetic() && !matches!(bytes[i], b'x' | b'e');
        if token.matches('.').count() == 1 && !followed_by_word {
            out.push(token.to_string());
        }
    }
    out
}

/// `(line number, number)` of every unlabelled decimal in `report` that `summary` lacks.
fn unbacked(report: &str, summary: &str) -> Vec<(usize, String)> {
    let known: BTreeSet<String> = decimals(summary).into_iter().collect();
    report
        .lines()
        .enumerate()
        .filter(|(_, line)| !LABELS.iter().any(|l| line.contains(l)))
        .flat_map(|(i, line)| decimals(line).into_iter().map(move |d| (i + 1, d)))
        .filter(|(_, d)| !known.contains(d))
        .collect()
}

/// The summaries of an experiment's arms: `results/<name>_*/` (e.g. `demonet_budget_long`, the
/// 42-epoch arm of `demonet_budget`), which its report may quote too.
fn arm_summaries(name: &str) -> String {
    let prefix = format!("{name}_");
    let Ok(entries) = std::fs::read_dir(repo().join("results")) else {
        return String::new();
    };
    let mut arms: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path().join("summary.md"))
        .collect();
    arms.sort();
    arms.iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The other summaries a report names as `results/<folder>/summary.md` (a report over two data
/// sets quotes both): their numbers back it too.
fn named_summaries(report: &str, own: &str) -> String {
    let mut names: Vec<&str> = report
        .split("results/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/summary.md").map(|(folder, _)| folder))
        .filter(|f| *f != own && !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .filter_map(|n| std::fs::read_to_string(repo().join("results").join(n).join("summary.md")).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_checker_finds_a_number_the_summary_lacks_and_honours_labels() {
    let summary = "| star | 81.25 ± 0.61 (6) |\n| star − sum | +2.10 [1.32, 2.88] |";
    let report = "Star reaches 81.25 (gap +2.10, 95% CI [1.32, 2.88]).\n\
                  Sum reaches 79.40.\n\
                  The paper has 73.9 [paper]; runs take 2.5 min [timing]; torch 2.11.0, 6 seeds.";
    assert_eq!(unbacked(report, summary), vec![(2, "79.40".to_string())]);
    assert_eq!(
        decimals("S1 3.8/4.3 ms, 1.42x, 2e-3, 2.11.0, v1.2a"),
        ["3.8", "4.3", "1.42"]
    );
}

#[test]
fn every_number_in_every_report_comes_from_its_summary() {
    let experiments = repo().join("experiments");
    let mut reports: Vec<PathBuf> = std::fs::read_dir(&experiments)
        .expect("experiments/ is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    reports.sort();
    assert!(!reports.is_empty(), "no report in {}", experiments.display());
    let mut problems = Vec::new();
    for report in &reports {
        let name = report.file_stem().unwrap().to_string_lossy().to_string();
        let summary_path = repo().join("results").join(&name).join("summary.md");
        let Ok(summary) = std::fs::read_to_string(&summary_path) else {
            // A report may state its reading rule before its results exist (committed first, so
            // that the rule cannot be fitted to the data): marked so, and quoting no number.
            let text = std::fs::read_to_string(report).unwrap();
            if !text.contains(PENDING) {
                problems.push(format!("{name}: no results/{name}/summary.md to back the report"));
            }
            for (line, number) in unbacked(&text, "") {
                problems.push(format!(
                    "experiments/{name}.md:{line}: {number}, but results/{name}/summary.md does not \
                     exist yet (label the line {})",
                    LABELS.join(" / ")
                ));
            }
            continue;
        };
        let text = std::fs::read_to_string(report).unwrap();
        let summary = summary + "\n" + &arm_summaries(&name) + "\n" + &named_summaries(&text, &name);
        for (line, number) in unbacked(&text, &summary) {
            problems.push(format!(
                "experiments/{name}.md:{line}: {number} is not in results/{name}/summary.md, \
                 results/{name}_*/summary.md nor a summary the report names (quote a summary, or \
                 label the line {})",
                LABELS.join(" / ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
