//! The import graph of a crate: which of its source files refers to which, read from the text.
//!
//! Nodes are the files under `src/` reachable from a crate root (`lib.rs`, `main.rs`,
//! `bin/*.rs`) through `mod name;`. An edge goes from a file to the file that defines the module a
//! path in it names: `crate::a::b::Item` (also inside `use crate::{a, b::c}` groups, doc links and
//! serde attributes), `super::x`, `self::x`, and `child::x` for a `mod child;` of the same file.
//! A path resolves to its deepest module file, and through that file's `pub use` re-exports to the
//! file that defines the item: `use crate::RunOutcome` points at `outcome.rs` when `lib.rs` says
//! `pub use outcome::RunOutcome`, so a parent that lists its children and re-exports them is a
//! table of contents, not a node in every circle. A module is inside its ancestors, so references
//! between a module and its ancestors (a child using its parent's items, `use super::*` in a test
//! module) are no edges: a circle is between modules neither of which contains the other. Doc
//! links count (a reader follows them). No compiler, no dependencies: a cheap test over every
//! crate's `src/` (`tests/imports.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's files and the references between them (paths relative to the crate's folder).
#[derive(Debug, Default)]
pub struct Graph {
    /// file -> the files it refers to (never itself).
    pub edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

/// One crate root's module tree: module path -> file, each file's module path, and each file's
/// re-exports (name -> the path it stands for, from the root).
#[derive(Default)]
struct Tree {
    files: BTreeMap<Vec<String>, PathBuf>,
    modules: BTreeMap<PathBuf, Vec<String>>,
    reexports: BTreeMap<PathBuf, BTreeMap<String, Vec<String>>>,
}

impl Graph {
    /// The graph of the crate in `dir` (which holds `src/`).
    pub fn of_crate(dir: &Path) -> std::io::Result<Graph> {
        let src = dir.join("src");
        let mut roots = Vec::new();
        for name in ["lib.rs", "main.rs"] {
            if src.join(name).is_file() {
                roots.push(src.join(name));
            }
        }
        if let Ok(bins) = std::fs::read_dir(src.join("bin")) {
            for entry in bins.flatten() {
                if entry.path().extension().is_some_and(|e| e == "rs") {
                    roots.push(entry.path());
                }
            }
        }
        let mut graph = Graph::default();
        for root in roots {
            let tree = Tree::from_root(&root)?;
            for (file, module) in &tree.modules {
                let text = std::fs::read_to_string(file)?;
                let children = child_modules(&text);
                let key = relative(dir, file);
                let targets = graph.edges.entry(key.clone()).or_default();
                for path in references(&text, module, &children) {
                    let Some(target) = tree.resolve(&path) else {
                        continue;
                    };
                    // A module is inside its ancestors: using their items, or they its, is no
                    // circle (`use super::*` in tests, a parent re-exporting its children).
                    let other = &tree.modules[target];
                    if other.starts_with(module) || module.starts_with(other) {
                        continue;
                    }
                    targets.insert(relative(dir, target));
                }
            }
        }
        Ok(graph)
    }

    /// Every circle: the strongly connected components of more than one file, each sorted.
    pub fn cycles(&self) -> Vec<Vec<PathBuf>> {
        let nodes: Vec<&PathBuf> = self.edges.keys().collect();
        let index: BTreeMap<&PathBuf, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let adjacency: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                self.edges[*n]
                    .iter()
                    .filter_map(|t| index.get(t).copied())
                    .collect()
            })
            .collect();
        let mut out: Vec<Vec<PathBuf>> = strongly_connected(&adjacency)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut files: Vec<PathBuf> = c.into_iter().map(|i| nodes[i].clone()).collect();
                files.sort();
                files
            })
            .collect();
        out.sort();
        out
    }
}

impl Graph {
    /// The edges among `files` (one circle), as `a -> b` lines, to show how it closes.
    pub fn edges_within(&self, files: &[PathBuf]) -> Vec<String> {
        let mut out = Vec::new();
        for from in files {
            for to in self
                .edges
                .get(from)
                .into_iter()
                .flatten()
                .filter(|t| files.contains(t))
            {
                out.push(format!("{} -> {}", from.display(), to.display()));
            }
        }
        out
    }
}

impl Tree {
    fn from_root(root: &Path) -> std::io::Result<Tree> {
        let mut tree = Tree::default();
        let mut stack = vec![(root.to_path_buf(), Vec::new())];
        while let Some((file, module)) = stack.pop() {
            let text = std::fs::read_to_string(&file)?;
            // lib.rs, main.rs and mod.rs own their folder; a.rs owns a/.
            let owns_folder = matches!(
                file.file_name().and_then(|n| n.to_str()),
                Some("lib.rs" | "main.rs" | "mod.rs")
            ) || module.is_empty();
            let dir = if owns_folder {
                file.parent().unwrap().to_path_buf()
            } else {
                file.with_extension("")
            };
            for child in child_modules(&text) {
                let candidates = [dir.join(format!("{child}.rs")), dir.join(&child).join("mod.rs")];
                if let Some(path) = candidates.into_iter().find(|p| p.is_file()) {
                    let mut m = module.clone();
                    m.push(child);
                    stack.push((path, m));
                }
            }
            tree.reexports.insert(file.clone(), reexports(&text, &module));
            tree.files.insert(module.clone(), file.clone());
            tree.modules.insert(file, module);
        }
        Ok(tree)
    }

    /// The file that defines what `path` (from the root) names: its deepest module file, or,
    /// when that file re-exports the next segment, where the re-export points.
    fn resolve(&self, path: &[String]) -> Option<&PathBuf> {
        let mut path = path.to_vec();
        for _ in 0..16 {
            let n = (0..=path.len())
                .rev()
                .find(|&n| self.files.contains_key(&path[..n]))?;
            let file = &self.files[&path[..n]];
            let Some(target) = path.get(n).and_then(|item| self.reexports[file].get(item)) else {
                return Some(file);
            };
            let mut next = target.clone();
            next.extend_from_slice(&path[n + 1..]);
            if next == path {
                return Some(file);
            }
            path = next;
        }
        None
    }
}

fn relative(dir: &Path, file: &Path) -> PathBuf {
    file.strip_prefix(dir).unwrap_or(file).to_path_buf()
}

/// The `mod name;` declarations of a file (modules in their own files, not inline ones).
fn child_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut words = line.trim();
        if let Some(rest) = words.strip_prefix("pub") {
            // `pub mod`, `pub(crate) mod`, `pub(super) mod`
            words = rest.trim_start();
            if let Some(close) = words
                .strip_prefix('(')
                .and_then(|r| r.find(')').map(|i| &r[i + 1..]))
            {
                words = close.trim_start();
            }
        }
        if let Some(rest) = words.strip_prefix("mod ")
            && let Some(name) = rest.trim().strip_suffix(';')
            && is_ident(name.trim())
        {
            out.push(name.trim().to_string());
        }
    }
    out
}

/// A file's `pub use` re-exports (also `pub(crate) use`): exported name -> the path it stands for.
fn reexports(text: &str, module: &[String]) -> BTreeMap<String, Vec<String>> {
    let children = child_modules(text);
    let mut out = BTreeMap::new();
    for (start, _) in text.match_indices("use ") {
        let before = text[..start].trim_end();
        if !(before.ends_with("pub") || before.ends_with("pub(crate)")) {
            continue;
        }
        let end = text[start..].find(';').map_or(text.len(), |e| start + e);
        // Only the statement, read as if it were at the file's top level.
        let statement = &text[start + 4..end];
        for path in references(statement, module, &children) {
            if let Some(name) = path.last() {
                out.insert(name.clone(), path);
            }
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every module path a file names, from the crate root. Inside an inline `mod tests { ... }`,
/// `super::` is the file's own module.
fn references(text: &str, module: &[String], children: &[String]) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let inline = inline_modules(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word =
            is_ident_byte(bytes[i]) && (i == 0 || !(is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b':'));
        if !starts_word {
            i += 1;
            continue;
        }
        let word_end = (i..bytes.len())
            .find(|&j| !is_ident_byte(bytes[j]))
            .unwrap_or(bytes.len());
        let word = &text[i..word_end];
        if !text[word_end..].starts_with("::") {
            i = word_end;
            continue;
        }
        // The module this text is in: the file's, plus the inline modules around it.
        let mut here = module.to_vec();
        here.extend(
            inline
                .iter()
                .filter(|(a, b, _)| (*a..*b).contains(&i))
                .map(|(_, _, n)| n.clone()),
        );
        let at_file_level = here.len() == module.len();
        // The path's start, from the root.
        let mut base: Vec<String> = match word {
            "crate" => Vec::new(),
            "self" | "super" => here,
            w if at_file_level && children.iter().any(|c| c == w) => here,
            _ => {
                i = word_end;
                continue;
            }
        };
        let mut rest = word_end;
        if word == "super" {
            base.pop();
        } else if word != "crate" && word != "self" {
            base.push(word.to_string());
        }
        // Further `super::` steps.
        while text[rest..].starts_with("::super") && !is_ident_at(bytes, rest + 7) {
            base.pop();
            rest += 7;
        }
        let (paths, end) = expand(text, rest, &base);
        out.extend(paths);
        i = end.max(word_end);
    }
    out
}

/// The inline modules of a file (`mod name { ... }`): (start, end, name), outermost first.
/// Braces inside strings, characters and comments do not count.
fn inline_modules(text: &str) -> Vec<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, Option<String>)> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' => {
                i = skip_string(bytes, i + 1, None);
                continue;
            }
            b'r' if !(i > 0 && is_ident_byte(bytes[i - 1]))
                && matches!(bytes.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    i = skip_string(bytes, i + 2 + hashes, Some(hashes));
                    continue;
                }
            }
            b'\'' => {
                // A character literal ('{', '\n'), not a lifetime ('a).
                let len = if bytes.get(i + 1) == Some(&b'\\') { 3 } else { 2 };
                if bytes.get(i + len) == Some(&b'\'') {
                    i += len + 1;
                    continue;
                }
            }
            b'{' => {
                let before = text[..i].trim_end();
                let name = before
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .filter(|n| is_ident(n))
                    .filter(|n| before[..before.len() - n.len()].trim_end().ends_with("mod"))
                    .map(str::to_string);
                open.push((i, name));
            }
            b'}' => {
                if let Some((start, Some(name))) = open.pop() {
                    out.push((start, i, name));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.sort();
    out
}

/// The index after a string literal whose text starts at `i`: escapes count in a plain one; a
/// raw one (`Some(hashes)`) ends at a quote followed by that many `#`.
fn skip_string(bytes: &[u8], mut i: usize, raw: Option<usize>) -> usize {
    while i < bytes.len() {
        if raw.is_none() && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == b'"' {
            let hashes = raw.unwrap_or(0);
            let closing = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
            if closing >= hashes {
                return i + 1 + hashes;
            }
        }
        i += 1;
    }
    i
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_ident_at(bytes: &[u8], i: usize) -> bool {
    i < bytes.len() && is_ident_byte(bytes[i])
}

/// The paths written at `text[at..]` (starting with `::`) under `base`: `::a::b`, `::{a, b::c}`
/// (groups nest), `::*`. Returns them and where the path ends.
fn expand(text: &str, at: usize, base: &[String]) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut path = base.to_vec();
    let mut i = at;
    loop {
        if !text[i..].starts_with("::") {
            return (vec![path], i);
        }
        i += 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            return group(text, i + 1, &path);
        }
        let end = (i..bytes.len())
            .find(|&j| !is_ident_byte(bytes[j]))
            .unwrap_or(bytes.len());
        if end == i {
            return (vec![path], i); // `::*` or the end of the text
        }
        path.push(text[i..end].to_string());
        i = end;
    }
}

/// The items of a `{...}` group starting at `text[at..]` (just after the brace).
fn group(text: &str, at: usize, base: &[String]) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = at;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            return (out, i);
        }
        if bytes[i] == b'}' {
            return (out, i + 1);
        }
        let end = (i..bytes.len())
            .find(|&j| !is_ident_byte(bytes[j]))
            .unwrap_or(bytes.len());
        if end == i {
            i += 1; // `*`, or anything this reader does not know: skip it
            continue;
        }
        let word = &text[i..end];
        let mut item = base.to_vec();
        if word != "self" {
            item.push(word.to_string());
        }
        let (paths, next) = expand(text, end, &item);
        out.extend(paths);
        i = next;
        // `as alias`
        let after = text[i..].trim_start();
        if let Some(alias) = after.strip_prefix("as ") {
            let skipped = text.len() - alias.len();
            let alias_end = (skipped..bytes.len())
                .find(|&j| !is_ident_byte(bytes[j]) && !bytes[j].is_ascii_whitespace())
                .unwrap_or(bytes.len());
            i = alias_end;
        }
    }
}

/// Tarjan's strongly connected components (iterative, so deep graphs cannot overflow the stack).
fn strongly_connected(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut out, mut next) = (Vec::new(), Vec::new(), 0);
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some((v, child)) = work.pop() {
            if child == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adjacency[v].get(child) {
                work.push((v, child + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str, module: &[&str], children: &[&str]) -> Vec<String> {
        let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
        let children: Vec<String> = children.iter().map(|s| s.to_string()).collect();
        references(text, &module, &children)
            .into_iter()
            .map(|p| p.join("::"))
            .collect()
    }

    #[test]
    fn paths_are_read_from_uses_groups_and_relative_prefixes() {
        let text = "use crate::{a, b::{c, d::E}};\nuse super::x::Y;\nuse self::z;\nlet k = kid::f();\n\
                    // [`crate::doc::Link`]\n#[serde(with = \"crate::nonfinite::map\")]\nuse super::super::up;\n\
                    training::x(); other::y();";
        assert_eq!(
            paths(text, &["m", "n"], &["kid"]),
            [
                "a",
                "b::c",
                "b::d::E",
                "m::x::Y",
                "m::n::z",
                "m::n::kid::f",
                "doc::Link",
                "nonfinite::map",
                "up"
            ]
        );
    }

    #[test]
    fn super_in_an_inline_test_module_is_the_file() {
        let text = "use super::sibling::A;\nfn f() { let s = \"}\"; let c = '{'; }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::up;\n}\n";
        assert_eq!(paths(text, &["m", "n"], &[]), ["m::sibling::A", "m::n", "m::up"]);
    }

    #[test]
    fn mod_declarations_are_children_and_inline_modules_are_not() {
        let text = "mod a;\npub mod b;\npub(crate) mod c;\n#[cfg(test)]\nmod tests {\n}\n";
        assert_eq!(child_modules(text), ["a", "b", "c"]);
    }

    #[test]
    fn components_are_the_circles() {
        // 0 -> 1 -> 2 -> 0, 3 -> 0, 4 alone.
        let mut c = strongly_connected(&[vec![1], vec![2], vec![0], vec![0], vec![]]);
        c.iter_mut().for_each(|x| x.sort());
        c.sort();
        assert_eq!(c, vec![vec![0, 1, 2], vec![3], vec![4]]);
    }
}
