//! The config layer, fuzzed: each shipped config (`configs/*.toml`, `configs/gpu/*.toml`) is
//! mutated (unknown keys, values of the wrong type, out of range or not finite, empty and huge
//! sweeps) and then parsed and planned, as `runner plan` does. Nothing may panic, and every error
//! must name the file, the line and the column (`path:line:col: message`).

use std::path::{Path, PathBuf};

use config::{Experiment, Source};
use proptest::prelude::*;

/// Cases per run (each parses and plans a mutated config; the whole test takes a few seconds).
const CASES: u32 = 3000;

fn shipped() -> &'static [(PathBuf, String)] {
    static CONFIGS: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    CONFIGS.get_or_init(read_shipped)
}

fn read_shipped() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut all = Vec::new();
    for dir in ["configs", "configs/gpu"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                all.push((Path::new(dir).join(path.file_name().unwrap()), text));
            }
        }
    }
    all.sort();
    all
}

/// Values that are wrong somewhere: other types, out of range, not finite, too large.
const VALUES: &[&str] = &[
    "\"text\"",
    "\"\"",
    "[]",
    "[1, \"a\"]",
    "{ x = 1 }",
    "true",
    "-1",
    "0",
    "-0.5",
    "0.0",
    "3.5",
    "1e300",
    "-1e300",
    "nan",
    "-inf",
    "inf",
    "9223372036854775807",
    "18446744073709551616",
    "-9223372036854775809",
    "\"star\"",
    "\"linear\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// `bogus_field = 1` under the n-th table header.
    UnknownKey(usize),
    /// The n-th `key = value` line's value replaced.
    Value(usize, &'static str),
    /// The n-th sweep axis emptied.
    EmptyAxis(usize),
    /// The n-th sweep axis given this many values (its first one repeated, then counting).
    LongAxis(usize, usize),
    /// A table header removed (its keys join the table before).
    DropHeader(usize),
}

/// Mostly values (the mutation whose errors come from the deepest layer, a run's validation);
/// an unknown key or a dropped header fails at parsing already.
fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::UnknownKey),
        6 => (any::<usize>(), prop::sample::select(VALUES)).prop_map(|(n, v)| Mutation::Value(n, v)),
        1 => any::<usize>().prop_map(Mutation::EmptyAxis),
        1 => (any::<usize>(), prop::sample::select(&[40usize, 400, 100_001][..]))
            .prop_map(|(n, len)| Mutation::LongAxis(n, len)),
        1 => any::<usize>().prop_map(Mutation::DropHeader),
    ]
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

fn is_key_value(line: &str) -> bool {
    let t = line.trim_start();
    !t.starts_with('#') && !is_header(t) && t.contains('=')
}

/// Indices of the `key = value` lines of `[sweep]` (its axes).
fn axis_lines(lines: &[String]) -> Vec<usize> {
    let mut in_sweep = false;
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if is_header(l) {
            in_sweep = l.trim() == "[sweep]";
        } else if in_sweep && is_key_value(l) && l.contains('[') {
            out.push(i);
        }
    }
    out
}

fn pick(indices: &[usize], n: usize) -> Option<usize> {
    (!indices.is_empty()).then(|| indices[n % indices.len()])
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let headers: Vec<usize> = (0..lines.len()).filter(|&i| is_header(&lines[i])).collect();
    let values: Vec<usize> = (0..lines.len()).filter(|&i| is_key_value(&lines[i])).collect();
    let set_value = |line: &mut String, value: &str| {
        let key = line.split('=').next().unwrap_or("").to_string();
        *line = format!("{key}= {value}");
    };
    match *m {
        Mutation::UnknownKey(n) => {
            if let Some(i) = pick(&headers, n) {
                lines.insert(i + 1, "bogus_field = 1".to_string());
            }
        }
        Mutation::Value(n, v) => {
            if let Some(i) = pick(&values, n) {
                set_value(&mut lines[i], v);
            }
        }
        Mutation::EmptyAxis(n) => {
            if let Some(i) = pick(&axis_lines(&lines), n) {
                set_value(&mut lines[i], "[]");
            }
        }
        Mutation::LongAxis(n, len) => {
            if let Some(i) = pick(&axis_lines(&lines), n) {
                let items: Vec<String> = (0..len).map(|k| k.to_string()).collect();
                set_value(&mut lines[i], &format!("[{}]", items.join(", ")));
            }
        }
        Mutation::DropHeader(n) => {
            if let Some(i) = pick(&headers, n) {
                lines.remove(i);
            }
        }
    }
    lines.join("\n") + "\n"
}

/// `Ok(runs)`, or the error's text.
fn plan(path: &Path, text: String) -> Result<usize, String> {
    let exp = Experiment::parse(Source::from_text(path, text)).map_err(|e| format!("{e:#}"))?;
    sweep::plan(&exp).map(|p| p.len()).map_err(|e| format!("{e:#}"))
}

/// Whether `message` starts with `path:line:col: `.
fn names_a_position(path: &Path, message: &str) -> bool {
    let Some(rest) = message.strip_prefix(&format!("{}:", path.display())) else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let number = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    number(parts.next()) && number(parts.next()) && parts.next().is_some_and(|r| r.starts_with(' '))
}

#[test]
fn every_shipped_config_plans_unmutated() {
    let configs = shipped();
    assert!(configs.len() >= 10, "{configs:?}");
    for (path, text) in configs {
        let runs = plan(path, text.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert!(runs > 0, "{}", path.display());
    }
}

#[test]
fn the_position_check_reads_path_line_and_column() {
    let p = Path::new("configs/x.toml");
    assert!(names_a_position(p, "configs/x.toml:3:14: unknown field `x`"));
    assert!(!names_a_position(p, "configs/x.toml: no position"));
    assert!(!names_a_position(p, "run 3: no file at all"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_configs_fail_only_with_errors_at_a_position(
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..=3),
    ) {
        let configs = shipped();
        let (path, text) = &configs[which % configs.len()];
        let mutated = mutations.iter().fold(text.clone(), |t, m| apply(&t, m));
        if let Err(message) = plan(path, mutated.clone()) {
            prop_assert!(
                names_a_position(path, &message),
                "{mutations:?} on {}:\n{message}\n--- config ---\n{mutated}",
                path.display()
            );
        }
    }
}
