//! Documents (drafts, profiles): per-field last-writer-wins by HLC, and nothing lost.
//!
//! Each field write carries its stamp and `base`, the stamps it knowingly replaces: the value
//! the writer saw when editing, plus any conflicts it resolves. The state of a field is a pure
//! function of the set of writes a replica has seen, whatever their order or repetition:
//! - the winner is the write with the greatest stamp;
//! - a conflict is any other seen write that no seen write names in its `base`: it was
//!   overwritten by an edit made without knowing it (concurrently), so it is kept for the user
//!   to restore, never silently dropped;
//! - a field keeps the values of at most [`CONFLICTS_PER_FIELD_MAX`] conflicts: a conflict with
//!   that many concurrent values newer than itself is folded away (its value dropped, its stamp
//!   kept and counted, shown as "N older versions not kept"). The concurrent values counted are
//!   the field's conflicts, kept or folded, and those a write settled (named in its base beside
//!   a newer stamp: a write's newest base is the value its writer saw, the others are conflicts
//!   it resolves). Counting settled ones too makes the count above a conflict only grow as
//!   writes arrive, so a folded value is never wanted back and every replica folds the same
//!   ones whatever the order, as long as a write arrives after the writes its base names (as at
//!   the depot, which every change passes first).
//!
//! Because the state depends only on the set, replicas that have seen the same writes agree
//! (convergence), and applying a write twice changes nothing (idempotence). See
//! `docs/adr/0009-merge-rules.md`.

use crate::hlc::Timestamp;
use crate::limits::CONFLICTS_PER_FIELD_MAX;
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
    /// The write lost to a newer concurrent value: kept as a conflict (or, when the field
    /// already keeps as many newer ones as it may, folded away at once).
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
    /// Per field, the stamps of conflicts folded away (see the module doc): their values are
    /// gone, their number is shown ([`DocState::folded_count`]). Phones receive it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub folded: BTreeMap<String, BTreeSet<Timestamp>>,
    /// Per field, every stamp named in a seen write's base. The server keeps it; it is not
    /// needed by phones, which receive already-merged states.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replaced: BTreeMap<String, BTreeSet<Timestamp>>,
    /// Per field, the stamps a seen write named beside a newer one (conflicts it settled),
    /// counted when folding. Kept by the server, like `replaced`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settled: BTreeMap<String, BTreeSet<Timestamp>>,
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
        self.apply_keeping(field, write, CONFLICTS_PER_FIELD_MAX)
    }

    /// [`DocState::apply`], keeping the values of at most `keep` conflicts per field (tests
    /// fold with a smaller bound than the protocol's).
    pub(crate) fn apply_keeping(&mut self, field: &str, write: FieldWrite, keep: usize) -> Result<FieldOutcome, WriteError> {
        Self::check(&write)?;
        let replaced = self.replaced.entry(field.to_string()).or_default();
        replaced.extend(write.base.iter().copied());
        if let Some(seen) = write.base.iter().max() {
            let settled = self.settled.entry(field.to_string()).or_default();
            settled.extend(write.base.iter().filter(|b| *b != seen).copied());
        }
        let folded = self.folded.entry(field.to_string()).or_default();
        folded.retain(|hlc| !replaced.contains(hlc));
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
                if replaced.contains(&write.hlc) || conflicts.contains_key(&write.hlc) || folded.contains(&write.hlc) {
                    FieldOutcome::NoChange
                } else {
                    conflicts.insert(write.hlc, write);
                    FieldOutcome::LostConcurrent
                }
            }
        };
        self.fold(field, keep);
        for map in [&mut self.folded, &mut self.replaced, &mut self.settled] {
            if map.get(field).is_some_and(|s| s.is_empty()) {
                map.remove(field);
            }
        }
        if self.conflicts.get(field).is_some_and(|c| c.is_empty()) {
            self.conflicts.remove(field);
        }
        Ok(outcome)
    }

    /// Fold away the conflicts of `field` that have `keep` or more of the field's concurrent
    /// values newer than themselves (its conflicts, kept or folded, and those settled).
    fn fold(&mut self, field: &str, keep: usize) {
        let Some(conflicts) = self.conflicts.get_mut(field) else { return };
        let empty = BTreeSet::new();
        let settled = self.settled.get(field).unwrap_or(&empty);
        let folded = self.folded.entry(field.to_string()).or_default();
        let concurrent: BTreeSet<Timestamp> = conflicts.keys().chain(folded.iter()).chain(settled.iter()).copied().collect();
        // The `keep`-th newest of them: a conflict older than it has `keep` newer ones.
        let Some(&bound) = concurrent.iter().rev().nth(keep.saturating_sub(1)) else { return };
        let older: Vec<Timestamp> = conflicts.range(..bound).map(|(t, _)| *t).collect();
        for t in older {
            conflicts.remove(&t);
            folded.insert(t);
        }
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

    /// How many older concurrent values of `field` were folded away (not kept).
    pub fn folded_count(&self, field: &str) -> usize {
        self.folded.get(field).map_or(0, BTreeSet::len)
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

    /// The state as phones receive it (without the replaced and settled stamps bookkeeping).
    pub fn for_phone(&self) -> DocState {
        DocState {
            fields: self.fields.clone(),
            conflicts: self.conflicts.clone(),
            folded: self.folded.clone(),
            replaced: BTreeMap::new(),
            settled: BTreeMap::new(),
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

    /// A small seeded shuffle (the tests' own generator).
    fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
        let mut rng = crate::testing::SeededRng(seed);
        let mut out = items.to_vec();
        for i in (1..out.len()).rev() {
            out.swap(i, rng.below(i as u64 + 1) as usize);
        }
        out
    }

    #[test]
    fn twenty_conflicting_writes_keep_the_eight_newest_and_count_the_rest_in_any_order() {
        let winner = w("now", ts(100, 1), &[]);
        let losers: Vec<FieldWrite> = (1..=20).map(|i| w(&format!("v{i}"), ts(i, 2), &[])).collect();
        let all: Vec<FieldWrite> = std::iter::once(winner.clone()).chain(losers.iter().cloned()).collect();
        let mut orders = vec![all.clone(), all.iter().rev().cloned().collect()];
        orders.extend((0..20).map(|seed| shuffled(&all, seed)));
        let states: Vec<DocState> = orders
            .iter()
            .map(|order| {
                let mut d = DocState::default();
                for write in order {
                    d.apply("t", write.clone()).unwrap();
                }
                d
            })
            .collect();
        assert!(states.iter().all(|s| *s == states[0]), "the same state whatever the order");
        let d = &states[0];
        assert_eq!(d.value("t"), Some(&json!("now")));
        let kept: Vec<u64> = d.conflicts["t"].keys().map(|t| t.wall_ms).collect();
        assert_eq!(kept, (13..=20).collect::<Vec<_>>());
        assert_eq!(d.folded_count("t"), 12);
        assert_eq!(serde_json::to_value(d.for_phone()).unwrap()["folded"]["t"].as_array().map(Vec::len), Some(12));
        // Delivered again, folded or not: nothing changes.
        let mut again = d.clone();
        for write in &all {
            assert_eq!(again.apply("t", write.clone()).unwrap(), FieldOutcome::NoChange);
        }
        assert_eq!(&again, d);
        // Nothing folded, nothing said: the field's state serializes as before.
        let mut few = DocState::default();
        for write in all.iter().take(9) {
            few.apply("t", write.clone()).unwrap();
        }
        assert!(serde_json::to_value(&few).unwrap().get("folded").is_none());
    }

    /// A conflict settled before older concurrent values arrive still counts when they are
    /// folded: the state is the one of the depot that saw them all first and then the
    /// settling write.
    #[test]
    fn a_settled_conflict_counts_so_late_older_values_fold_the_same() {
        let winner = w("now", ts(100, 1), &[]);
        let losers: Vec<FieldWrite> = (1..=20).map(|i| w(&format!("v{i}"), ts(i, 2), &[])).collect();
        let settle = w("now", ts(101, 1), &[ts(100, 1), ts(20, 2)]);
        let mut first = DocState::default();
        for write in std::iter::once(&winner).chain(&losers).chain([&settle]) {
            first.apply("t", write.clone()).unwrap();
        }
        let mut late = DocState::default();
        for write in std::iter::once(&winner).chain(&losers[12..]).chain([&settle]).chain(&losers[..12]) {
            late.apply("t", write.clone()).unwrap();
        }
        assert_eq!(first, late);
        assert_eq!((first.conflicts["t"].len(), first.folded_count("t")), (7, 12));
        assert!(first.for_phone().settled.is_empty() && first.for_phone().replaced.is_empty(), "bookkeeping stays at the depot");
    }

    #[test]
    fn a_base_newer_than_the_write_is_refused() {
        let mut d = DocState::default();
        assert_eq!(d.apply("t", w("x", ts(5, 2), &[ts(5, 2)])), Err(WriteError::BaseNotOlder));
        assert_eq!(d, DocState::default());
    }
}
