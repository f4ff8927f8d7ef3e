//! Documents (drafts, profiles): per-field last-writer-wins by HLC, and nothing lost.
//!
//! Each field write carries its stamp and `base`, the stamps it knowingly replaces: the value
//! the writer saw when editing, plus any conflicts it resolves. The state of a field is a pure
//! function of the set of writes a replica has seen, whatever their order or repetition:
//! - the winner is the write with the greatest stamp;
//! - a conflict is any other seen write that no seen write names in its `base`: it was
//!   overwritten by an edit made without knowing it (concurrently), so it is kept for the user
//!   to restore, never silently dropped.
//!
//! Because the state depends only on the set, replicas that have seen the same writes agree
//! (convergence), and applying a write twice changes nothing (idempotence). See
//! `docs/adr/0009-merge-rules.md`.

use crate::hlc::Timestamp;
use crate::wire::Extra;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One write of one field.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FieldWrite {
    pub value: serde_json::Value,
    pub hlc: Timestamp,
    /// Stamps this write knowingly replaces (empty for a new field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base: Vec<Timestamp>,
    /// Members of the write this build does not know (a newer app's): kept wherever the write
    /// is stored and sent on with it, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FieldWrite {
    /// A write made by this build: `value` at `hlc`, knowingly replacing `base`.
    pub fn new(value: serde_json::Value, hlc: Timestamp, base: Vec<Timestamp>) -> FieldWrite {
        FieldWrite { value, hlc, base, extra: Extra::new() }
    }
}

/// What applying one write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldOutcome {
    /// The write is now the field's value (the previous one, if any, was in its base).
    Won,
    /// The write is now the field's value, and the value it beat was concurrent: kept as a conflict.
    WonOverConcurrent,
    /// The write lost to a newer concurrent value: kept as a conflict.
    LostConcurrent,
    /// The write was already known, or already replaced by a write built on it.
    NoChange,
}

/// A document's merged state: every field's winner, the conflicts, and the stamps replaced.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct DocState {
    pub fields: BTreeMap<String, FieldWrite>,
    /// Per field, concurrent losers by stamp.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conflicts: BTreeMap<String, BTreeMap<Timestamp, FieldWrite>>,
    /// Per field, every stamp named in a seen write's base. The server keeps it; it is not
    /// needed by phones, which receive already-merged states.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replaced: BTreeMap<String, BTreeSet<Timestamp>>,
    /// Members of the document this build does not know (a newer depot's), kept unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Why a write cannot be applied at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// A base stamp not older than the write: no honest writer produces it.
    #[error("a write's base must be older than the write")]
    BaseNotOlder,
}

impl DocState {
    /// Check a write before applying it (the server refuses bad ones with a typed error).
    pub fn check(write: &FieldWrite) -> Result<(), WriteError> {
        if write.base.iter().any(|b| *b >= write.hlc) {
            return Err(WriteError::BaseNotOlder);
        }
        Ok(())
    }

    /// Merge one write of `field`. Pure; order- and repetition-independent (see module doc).
    pub fn apply(&mut self, field: &str, write: FieldWrite) -> Result<FieldOutcome, WriteError> {
        Self::check(&write)?;
        let replaced = self.replaced.entry(field.to_string()).or_default();
        replaced.extend(write.base.iter().copied());
        let conflicts = self.conflicts.entry(field.to_string()).or_default();
        conflicts.retain(|hlc, _| !replaced.contains(hlc));
        let outcome = match self.fields.get(field) {
            None => {
                self.fields.insert(field.to_string(), write);
                FieldOutcome::Won
            }
            Some(current) if write.hlc == current.hlc => FieldOutcome::NoChange,
            Some(current) if write.hlc > current.hlc => {
                let old = self.fields.insert(field.to_string(), write).expect("present");
                if replaced.contains(&old.hlc) {
                    FieldOutcome::Won
                } else {
                    conflicts.insert(old.hlc, old);
                    FieldOutcome::WonOverConcurrent
                }
            }
            Some(_) => {
                if replaced.contains(&write.hlc) || conflicts.contains_key(&write.hlc) {
                    FieldOutcome::NoChange
                } else {
                    conflicts.insert(write.hlc, write);
                    FieldOutcome::LostConcurrent
                }
            }
        };
        if conflicts.is_empty() {
            self.conflicts.remove(field);
        }
        if self.replaced.get(field).is_some_and(|r| r.is_empty()) {
            self.replaced.remove(field);
        }
        Ok(outcome)
    }

    /// The current value of `field`, if it was ever written.
    pub fn value(&self, field: &str) -> Option<&serde_json::Value> {
        self.fields.get(field).map(|w| &w.value)
    }

    /// The stamp of `field`'s current value.
    pub fn stamp(&self, field: &str) -> Option<Timestamp> {
        self.fields.get(field).map(|w| w.hlc)
    }

    /// Every conflict as (field, losing write).
    pub fn conflict_list(&self) -> Vec<(&str, &FieldWrite)> {
        self.conflicts.iter().flat_map(|(f, m)| m.values().map(move |w| (f.as_str(), w))).collect()
    }

    /// The write that settles a conflict: `restore` puts the losing value back, otherwise the
    /// current value is kept. Either way both stamps go into the base, so the conflict is gone
    /// on every replica that sees the write. The kept value travels with the members it came
    /// with (a newer app's), unchanged.
    pub fn resolution(&self, field: &str, conflict: Timestamp, restore: bool, hlc: Timestamp) -> Option<FieldWrite> {
        let current = self.fields.get(field)?;
        let loser = self.conflicts.get(field)?.get(&conflict)?;
        let kept = if restore { loser } else { current };
        Some(FieldWrite { value: kept.value.clone(), hlc, base: vec![current.hlc, loser.hlc], extra: kept.extra.clone() })
    }

    /// The state as phones receive it (without the replaced-stamps bookkeeping).
    pub fn for_phone(&self) -> DocState {
        DocState {
            fields: self.fields.clone(),
            conflicts: self.conflicts.clone(),
            replaced: BTreeMap::new(),
            extra: self.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(ms: u64, node: u64) -> Timestamp {
        Timestamp { wall_ms: ms, counter: 0, node }
    }
    fn w(v: &str, hlc: Timestamp, base: &[Timestamp]) -> FieldWrite {
        FieldWrite::new(json!(v), hlc, base.to_vec())
    }

    #[test]
    fn a_causal_edit_replaces_without_conflict() {
        let mut d = DocState::default();
        assert_eq!(d.apply("title", w("a", ts(1, 1), &[])).unwrap(), FieldOutcome::Won);
        assert_eq!(d.apply("title", w("b", ts(2, 2), &[ts(1, 1)])).unwrap(), FieldOutcome::Won);
        assert_eq!(d.value("title"), Some(&json!("b")));
        assert!(d.conflict_list().is_empty());
    }

    #[test]
    fn concurrent_edits_keep_the_loser_whatever_the_order() {
        let base = w("a", ts(1, 1), &[]);
        let x = w("x", ts(5, 2), &[ts(1, 1)]);
        let y = w("y", ts(6, 3), &[ts(1, 1)]);
        let mut one = DocState::default();
        one.apply("t", base.clone()).unwrap();
        assert_eq!(one.apply("t", x.clone()).unwrap(), FieldOutcome::Won);
        assert_eq!(one.apply("t", y.clone()).unwrap(), FieldOutcome::WonOverConcurrent);
        let mut two = DocState::default();
        two.apply("t", y.clone()).unwrap();
        assert_eq!(two.apply("t", x.clone()).unwrap(), FieldOutcome::LostConcurrent);
        two.apply("t", base.clone()).unwrap();
        assert_eq!(one, two);
        assert_eq!(one.value("t"), Some(&json!("y")));
        assert_eq!(one.conflict_list(), vec![("t", &x)]);
        // Applying anything again changes nothing.
        for again in [base, x, y] {
            assert_eq!(one.apply("t", again).unwrap(), FieldOutcome::NoChange);
        }
        assert_eq!(one, two);
    }

    #[test]
    fn restoring_a_conflict_removes_it_everywhere() {
        let mut d = DocState::default();
        d.apply("t", w("x", ts(5, 2), &[])).unwrap();
        d.apply("t", w("y", ts(6, 3), &[])).unwrap();
        let fix = d.resolution("t", ts(5, 2), true, ts(9, 1)).unwrap();
        let mut other = d.clone();
        d.apply("t", fix.clone()).unwrap();
        assert_eq!(d.value("t"), Some(&json!("x")));
        assert!(d.conflict_list().is_empty());
        other.apply("t", fix).unwrap();
        assert_eq!(d, other);
        assert!(d.resolution("t", ts(5, 2), true, ts(10, 1)).is_none(), "nothing left to resolve");
    }

    #[test]
    fn a_writes_unknown_members_stay_with_it_through_the_merge_and_a_resolution() {
        let mut newer = w("x", ts(5, 2), &[]);
        newer.extra.insert("x_lang".into(), json!("sw"));
        let mut older = w("y", ts(4, 3), &[]);
        older.extra.insert("x_lang".into(), json!("en"));
        let mut d = DocState::default();
        d.extra.insert("x_schema".into(), json!(2));
        d.apply("t", older.clone()).unwrap();
        d.apply("t", newer.clone()).unwrap();
        let phone = d.for_phone();
        assert_eq!((&phone.fields["t"], &phone.conflicts["t"][&older.hlc]), (&newer, &older));
        assert_eq!(phone.extra["x_schema"], 2);
        assert_eq!(d.resolution("t", older.hlc, false, ts(9, 1)).unwrap().extra, newer.extra, "the kept value's members");
        assert_eq!(d.resolution("t", older.hlc, true, ts(9, 1)).unwrap().extra, older.extra, "the restored value's members");
    }

    #[test]
    fn a_base_newer_than_the_write_is_refused() {
        let mut d = DocState::default();
        assert_eq!(d.apply("t", w("x", ts(5, 2), &[ts(5, 2)])), Err(WriteError::BaseNotOlder));
        assert_eq!(d, DocState::default());
    }
}
