//! Mark and sweep after an expired cursor (ADR 0012). The depot prunes deleted drafts and
//! scope exits after its retention horizon; a phone whose cursor predates them is told
//! `cursor_expired`, because the feed can no longer tell it what was deleted or taken away.
//! It then marks every record it holds from the depot, pulls the whole feed again (each record
//! sent is unmarked), and when the feed is drained removes what is still marked, through the
//! feature that holds it (`leave`), except records with outbox items: this phone's
//! unsynced work, whose push decides.
//!
//! The marks live in `sweep_marks` (this file is its only user): they survive a kill or a lost
//! connection, and while any is left the next sync resumes the full pull and sweeps at its end.

use super::leave::leave;
use crate::error::Result;
use crate::{documents, drafts, orders, stock};
use fundi_sync::phone::Leaving;
use fundi_sync::Kind;
use rusqlite::{params, Connection};

/// Mark every record held from the depot (in the transaction that sets the cursor to 0).
/// Marks left by an interrupted re-sync stay.
pub(crate) fn mark(tx: &Connection) -> Result<()> {
    let mut keys: Vec<(String, String)> = documents::db::keys(tx)?;
    keys.extend(orders::db::ids(tx)?.into_iter().map(|id| (Kind::Order.code().to_string(), id)));
    keys.extend(stock::db::ids(tx)?.into_iter().map(|id| (Kind::Stock.code().to_string(), id)));
    keys.extend(drafts::db::ids(tx)?.into_iter().map(|id| (Kind::Draft.code().to_string(), id)));
    let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO sweep_marks (kind, id) VALUES (?1, ?2)")?;
    for (kind, id) in keys {
        insert.execute(params![kind, id])?;
    }
    Ok(())
}

/// Whether a re-sync is under way (marks are left).
pub(crate) fn in_progress(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM sweep_marks)", [], |r| r.get(0))?)
}

/// The feed sent this record again: it stays.
pub(crate) fn unmark(tx: &Connection, kind: &str, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM sweep_marks WHERE kind = ?1 AND id = ?2")?.execute(params![kind, id])?;
    Ok(())
}

/// The feed is drained: every record still marked leaves (unless it has unsynced work on it),
/// and the marks are cleared. Returns how many records were removed.
pub(crate) fn sweep(tx: &Connection) -> Result<u32> {
    let marked: Vec<(String, String)> = {
        let mut s = tx.prepare("SELECT kind, id FROM sweep_marks ORDER BY kind, id")?;
        let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let mut removed = 0;
    for (kind, id) in &marked {
        if leave(tx, kind, id, Leaving::MissingFromFullFeed)? {
            removed += 1;
        }
    }
    tx.execute("DELETE FROM sweep_marks", [])?;
    Ok(removed)
}
