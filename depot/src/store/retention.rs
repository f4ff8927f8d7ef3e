//! Tombstone retention (ADR 0012). A deleted draft stays in the feed as a tombstone so that
//! every phone learns of the deletion; after the retention horizon the depot prunes it, and
//! the scope exits older than the horizon with it. What is pruned is remembered:
//! - each pruned record's (kind, id, owner) in `pruned_records`, so a late write to it is
//!   refused `gone` instead of creating it again (`fundi_sync::depot::decide`);
//! - the greatest feed position pruned, `meta.pruned_seq`: a phone whose cursor lies below it
//!   missed something that no longer exists, and is told `cursor_expired` (see `pull`); it
//!   then pulls everything again and removes what did not come back. A restore moves it too,
//!   past every position the depot handed out before it (`restore`, ADR 0028).

use super::{ApiError, Db};
use crate::store::sql::params;
use crate::store::sql::Tx;
use fundi_sync::depot::is_tombstone;
use fundi_sync::Kind;
use serde::Serialize;

/// How long tombstones and scope exits are kept, by default.
pub const DEFAULT_RETENTION_DAYS: u64 = 90;
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Deleted drafts removed.
    pub tombstones: usize,
    /// Scope exits removed.
    pub exits: usize,
    /// The greatest feed position pruned so far (cursors below it are expired).
    pub pruned_seq: u64,
}

/// Prune every tombstone and scope exit whose last change is older than `retention_ms` before
/// `now_ms` (the depot's wall clock), in one transaction.
pub fn prune(db: &Db, retention_ms: u64, now_ms: u64) -> Result<Pruned, ApiError> {
    let horizon = now_ms.saturating_sub(retention_ms).min(i64::MAX as u64) as i64;
    db.write(|tx| {
        let mut out = Pruned::default();
        let mut top: i64 = 0;
        let old_drafts: Vec<(String, Option<String>, i64, String)> = {
            let mut stmt =
                tx.prepare("SELECT id, owner, seq, body FROM records WHERE kind = ?1 AND changed_ms < ?2 ORDER BY seq")?;
            let rows =
                stmt.query_map(params![Kind::Draft.code(), horizon], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, owner, seq, body) in old_drafts {
            let body: serde_json::Value = serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            if !is_tombstone(Kind::Draft, &body) {
                continue;
            }
            tx.execute(
                "INSERT INTO pruned_records (kind, id, owner, pruned_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, pruned_ms = excluded.pruned_ms",
                params![Kind::Draft.code(), id, owner, now_ms as i64],
            )?;
            tx.execute("DELETE FROM records WHERE kind = ?1 AND id = ?2", params![Kind::Draft.code(), id])?;
            out.tombstones += 1;
            top = top.max(seq);
        }
        let exits_top: Option<i64> =
            tx.query_row("SELECT MAX(seq) FROM scope_exits WHERE created_ms < ?1", [horizon], |r| r.get(0))?;
        out.exits = tx.execute("DELETE FROM scope_exits WHERE created_ms < ?1", [horizon])?;
        top = top.max(exits_top.unwrap_or(0));
        tx.execute("UPDATE meta SET pruned_seq = CASE WHEN pruned_seq > ?1 THEN pruned_seq ELSE ?1 END", [top])?;
        out.pruned_seq = tx.query_row("SELECT pruned_seq FROM meta", [], |r| r.get::<_, i64>(0))? as u64;
        Ok(out)
    })
}

/// Whether a record was pruned (the protocol's `DepotFacts::pruned`, over SQL).
pub fn is_pruned(tx: &Tx, kind: Kind, id: &str) -> Result<bool, ApiError> {
    let n: i64 =
        tx.query_row("SELECT COUNT(*) FROM pruned_records WHERE kind = ?1 AND id = ?2", params![kind.code(), id], |r| r.get(0))?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::put_record;
    use serde_json::json;

    fn draft(deleted: bool) -> serde_json::Value {
        json!({"owner": "a", "status": "draft", "doc": {"fields": {"deleted": {"value": deleted, "hlc": "0000000003e80000000000000000000001"}}}})
    }

    #[test]
    fn only_old_tombstones_and_exits_are_pruned_and_the_horizon_moves_up_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let seqs = db
            .write(|tx| {
                let dead = put_record(tx, "draft", "d-dead", Some("a"), None, &draft(true), None)?;
                let live = put_record(tx, "draft", "d-live", Some("a"), None, &draft(false), None)?;
                put_record(tx, "order", "o-cancelled", Some("a"), None, &json!({"status": "cancelled"}), None)?;
                Ok((dead, live))
            })
            .unwrap();
        // Nothing is older than a day yet.
        let later = super::super::now_ms() + 1000;
        assert_eq!(prune(&db, DAY_MS, later).unwrap(), Pruned::default());
        let pruned = prune(&db, 0, later).unwrap();
        assert_eq!((pruned.tombstones, pruned.exits, pruned.pruned_seq), (1, 0, seqs.0 as u64));
        db.read(|tx| {
            assert!(is_pruned(tx, Kind::Draft, "d-dead")?);
            assert!(!is_pruned(tx, Kind::Draft, "d-live")?);
            let left: Vec<String> =
                tx.prepare("SELECT id FROM records ORDER BY seq")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            assert_eq!(left, ["d-live", "o-cancelled"]);
            Ok(())
        })
        .unwrap();
        assert_eq!(prune(&db, 0, later).unwrap().pruned_seq, seqs.0 as u64, "pruning nothing keeps the horizon");
    }
}
