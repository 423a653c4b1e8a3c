//! A run's id: a hash of its resolved config, so the same config always lands in the same file
//! and any change to what a run computes gives a new file.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical form that is hashed: compact JSON with object keys sorted (serde_json's map is
/// ordered by key) and numbers as serde_json prints them.
pub fn canonical_json(config: &Value) -> String {
    serde_json::to_string(&sort_keys(config)).expect("JSON values always serialise")
}

/// The first 16 hex digits of SHA-256 of the canonical JSON (64 bits: collisions need ~4e9 runs).
pub fn run_id(config: &Value) -> String {
    let digest = Sha256::digest(canonical_json(config).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_the_id() {
        let a: Value =
            serde_json::from_str(r#"{"model": {"width": 16, "depth": 12}, "kind": "train"}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"kind": "train", "model": {"depth": 12, "width": 16}}"#).unwrap();
        assert_eq!(run_id(&a), run_id(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"kind":"train","model":{"depth":12,"width":16}}"#
        );
    }

    #[test]
    fn any_value_change_changes_the_id() {
        let a = json!({"model": {"width": 16, "mode": "star"}});
        let b = json!({"model": {"width": 16, "mode": "sum"}});
        let c = json!({"model": {"width": 32, "mode": "star"}});
        assert_ne!(run_id(&a), run_id(&b));
        assert_ne!(run_id(&a), run_id(&c));
        assert_eq!(run_id(&a).len(), 16);
    }

    #[test]
    fn id_is_sha256_of_the_canonical_text() {
        // sha256("{}") computed independently (coreutils sha256sum).
        assert_eq!(run_id(&json!({})), "44136fa355b3678a");
    }
}
