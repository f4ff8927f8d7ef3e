//! The only SQL on `review_cache`: which thumbnails and photos of reviewed drafts the cache
//! directory holds, their sizes, and the order they were last shown in.

use super::Size;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// One cached file: the `size` of the photo `photo`, stored under its own hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cached {
    pub photo: String,
    pub size: Size,
    pub sha256: String,
    pub bytes: u64,
}

fn size_of(code: &str) -> rusqlite::Result<Size> {
    Size::from_code(code).ok_or_else(|| rusqlite::Error::InvalidColumnType(1, "size".into(), rusqlite::types::Type::Text))
}

fn cached(r: &rusqlite::Row<'_>) -> rusqlite::Result<Cached> {
    Ok(Cached { photo: r.get(0)?, size: size_of(&r.get::<_, String>(1)?)?, sha256: r.get(2)?, bytes: r.get::<_, i64>(3)? as u64 })
}

/// The highest use mark so far (0 for an empty cache): entries marked after it are newer.
pub(crate) fn last_use(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COALESCE(MAX(used), 0) FROM review_cache", [], |r| r.get(0))?)
}

pub(crate) fn find(conn: &Connection, photo: &str, size: Size) -> Result<Option<Cached>> {
    let mut q = conn.prepare_cached("SELECT photo, size, sha256, bytes FROM review_cache WHERE photo = ?1 AND size = ?2")?;
    Ok(q.query_row(params![photo, size.code()], cached).optional()?)
}

/// Keep (or replace) an entry, marked as the most recently used.
pub(crate) fn put(conn: &Connection, c: &Cached) -> Result<()> {
    let used = last_use(conn)? + 1;
    conn.execute(
        "INSERT OR REPLACE INTO review_cache (photo, size, sha256, bytes, used) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![c.photo, c.size.code(), c.sha256, c.bytes as i64, used],
    )?;
    Ok(())
}

/// Mark an entry as the most recently used.
pub(crate) fn touch(conn: &Connection, photo: &str, size: Size) -> Result<()> {
    let used = last_use(conn)? + 1;
    conn.execute("UPDATE review_cache SET used = ?3 WHERE photo = ?1 AND size = ?2", params![photo, size.code(), used])?;
    Ok(())
}

pub(crate) fn remove(conn: &Connection, photo: &str, size: Size) -> Result<()> {
    conn.execute("DELETE FROM review_cache WHERE photo = ?1 AND size = ?2", params![photo, size.code()])?;
    Ok(())
}

/// Whether any entry still names the file `sha256` (two photos may share a thumbnail).
pub(crate) fn names_file(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM review_cache WHERE sha256 = ?1)", [sha256], |r| r.get(0))?)
}

/// Every entry in the order they are evicted: photos before thumbnails (a thumbnail is small and
/// is what lists show), each least recently used first.
pub(crate) fn by_eviction(conn: &Connection) -> Result<Vec<(Cached, i64)>> {
    let mut q = conn.prepare("SELECT photo, size, sha256, bytes, used FROM review_cache ORDER BY size = 'thumbnail', used")?;
    let rows = q.query_map([], |r| Ok((cached(r)?, r.get(4)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// (entries, bytes) held.
pub(crate) fn totals(conn: &Connection) -> Result<(u32, u64)> {
    Ok(conn.query_row("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM review_cache", [], |r| {
        Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u64))
    })?)
}
