//! Run configs as JSON trees: TOML values converted, dotted field paths resolved and set.
//! Sweeps, `[[sweep.extra]]` points and `--override` all address fields through these.

use std::ops::Range;

use anyhow::{Result, bail};
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

/// A parsed TOML value as JSON (the form runs are swept in, stored and hashed). A float must be
/// finite: NaN and infinity have no JSON form (serde_json would make them `null`, which an
/// optional field reads as "unset"), and no field means one. The error carries the span of the
/// value at fault.
pub fn to_json(value: &Spanned<DeValue<'_>>) -> Result<Value, (Range<usize>, String)> {
    let at = |message: String| (value.span(), message);
    Ok(match value.get_ref() {
        DeValue::Table(table) => {
            let mut map = serde_json::Map::new();
            for (key, v) in table {
                map.insert(key.get_ref().to_string(), to_json(v)?);
            }
            Value::Object(map)
        }
        DeValue::Array(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        DeValue::Float(f) => {
            let x = f64::deserialize(ValueDeserializer::from(Spanned::new(
                0..0,
                value.get_ref().clone(),
            )))
            .map_err(|e| at(e.message().to_string()))?;
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| at(format!("{} is not a finite number", f.as_str())))?
        }
        scalar => Value::deserialize(ValueDeserializer::from(Spanned::new(0..0, scalar.clone())))
            .map_err(|e| at(e.message().to_string()))?,
    })
}

/// Resolves a sweep key to the field it sets. A dotted key (`model.width`) must exist as written;
/// a bare key (`width`) must name exactly one field anywhere in the run config.
pub fn resolve_field(base: &Value, key: &str) -> Result<Vec<String>, String> {
    if key.contains('.') {
        let path: Vec<String> = key.split('.').map(str::to_string).collect();
        let (field, parents) = path.split_last().expect("split yields at least one part");
        let parent = parents.iter().try_fold(base, |v, k| v.get(k));
        return match parent {
            Some(Value::Object(map)) if map.contains_key(field) => Ok(path),
            Some(Value::Object(map)) => Err(format!(
                "no field `{key}`; `{}` has {}",
                parents.join("."),
                quoted(&map.keys().map(String::as_str).collect::<Vec<_>>())
            )),
            _ => Err(format!(
                "no section `{}` in this kind's config",
                parents.join(".")
            )),
        };
    }
    let mut found = Vec::new();
    find_fields(base, key, &mut Vec::new(), &mut found);
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let mut all = Vec::new();
            leaf_paths(base, &mut Vec::new(), &mut all);
            Err(format!("no field named `{key}`; fields are {}", quoted(&all)))
        }
        _ => Err(format!(
            "`{key}` is ambiguous: it matches {}; write the dotted name",
            quoted(&found.iter().map(|p| p.join(".")).collect::<Vec<_>>())
        )),
    }
}

fn find_fields(v: &Value, key: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    if let Value::Object(map) = v {
        for (k, child) in map {
            path.push(k.clone());
            if k == key {
                found.push(path.clone());
            }
            find_fields(child, key, path, found);
            path.pop();
        }
    }
}

fn leaf_paths(v: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                path.push(k.clone());
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.join(".")),
    }
}

/// Sets `path` in a JSON tree, creating tables on the way.
pub fn set_path(root: &mut Value, path: &[String], value: Value) -> Result<()> {
    let Some((field, parents)) = path.split_last() else {
        bail!("an empty field path")
    };
    let mut node = root;
    for key in parents {
        let Value::Object(map) = node else {
            bail!("`{}` is not a table", path.join("."))
        };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    let Value::Object(map) = node else {
        bail!("`{}` is not inside a table", path.join("."))
    };
    map.insert(field.clone(), value);
    Ok(())
}

/// `` `a`, `b`, `c` ``: choices in error messages.
pub fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toml_becomes_json_and_non_finite_floats_are_refused_at_their_span() {
        let text = "a = 1\nb = [2.5, \"x\"]\nc = { d = true }\ne = nan\nf = -inf\ng = 1e400\n";
        let table = toml::de::DeTable::parse(text).unwrap();
        let get = |k: &str| table.get_ref().get(k).unwrap();
        assert_eq!(to_json(get("a")).unwrap(), json!(1));
        assert_eq!(to_json(get("b")).unwrap(), json!([2.5, "x"]));
        assert_eq!(to_json(get("c")).unwrap(), json!({ "d": true }));
        for (key, shown, why) in [
            ("e", "nan", "not a finite number"),
            ("f", "-inf", "not a finite number"),
            ("g", "1e400", "overflowed"),
        ] {
            let (span, message) = to_json(get(key)).unwrap_err();
            assert_eq!(&text[span], shown);
            assert!(message.contains(why), "{message}");
        }
    }

    #[test]
    fn bare_keys_must_be_unique_and_dotted_keys_must_exist() {
        let base = json!({ "model": { "width": 8, "seed": 0 }, "train": { "seed": 1 } });
        assert_eq!(resolve_field(&base, "width").unwrap(), ["model", "width"]);
        assert!(resolve_field(&base, "seed").unwrap_err().contains("ambiguous"));
        assert_eq!(resolve_field(&base, "train.seed").unwrap(), ["train", "seed"]);
        assert!(
            resolve_field(&base, "train.width")
                .unwrap_err()
                .contains("`seed`")
        );
        assert!(
            resolve_field(&base, "nope.width")
                .unwrap_err()
                .contains("no section")
        );
    }

    #[test]
    fn set_path_creates_tables() {
        let mut v = json!({ "a": { "b": 1 } });
        set_path(&mut v, &["a".into(), "c".into(), "d".into()], json!(2)).unwrap();
        assert_eq!(v, json!({ "a": { "b": 1, "c": { "d": 2 } } }));
        assert!(set_path(&mut v, &["a".into(), "b".into(), "x".into()], json!(3)).is_err());
    }
}
