//! Where a field is in the config file, for errors about its value: the key, else the nearest
//! table on the way, else the `[experiment] kind` that chose the defaults; always some span, so
//! that every config error names a line and a column.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// The span of `path` (`["train", "lr"]`) in a TOML text: the key, else the nearest table that
/// exists on the way.
pub fn key_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut best = None;
    for key in path {
        let Some((k, v)) = table.get_key_value(*key) else {
            return best;
        };
        best = Some(k.span());
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    best
}

/// [`key_span`], else (a field the file leaves to its default) the `kind` key of `[experiment]`,
/// else the start of the file.
pub fn field_span(text: &str, path: &[&str]) -> Range<usize> {
    key_span(text, path)
        .or_else(|| key_span(text, &["experiment", "kind"]))
        .unwrap_or(0..0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_falls_back_to_the_section() {
        let text = "[experiment]\nname = \"x\"\n\n[train]\nepochs = 2\nlr = -1\n";
        let span = key_span(text, &["train", "lr"]).unwrap();
        assert_eq!(&text[span], "lr");
        let span = key_span(text, &["train", "momentum"]);
        assert_eq!(span.map(|s| &text[s]), Some("train"));
        assert_eq!(key_span(text, &["model", "width"]), None);
    }

    #[test]
    fn a_field_left_to_its_default_points_at_the_kind() {
        let text = "[experiment]\nname = \"x\"\nkind = \"train\"\n";
        assert_eq!(&text[field_span(text, &["model", "width"])], "kind");
        assert_eq!(field_span("", &["model"]), 0..0);
    }
}
