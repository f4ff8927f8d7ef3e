//! The only SQL on `uploads`: the queue of this phone's photos and thumbnails to send.

use crate::error::Result;
use rusqlite::{params, Connection};

/// One blob waiting to go (or gone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Queued {
    pub sha256: String,
    /// For a thumbnail, its photo.
    pub of_sha256: Option<String>,
    pub length: u64,
    /// The depot's path of the upload, once created.
    pub location: Option<String>,
    pub confirmed: u64,
}

/// Queue a blob (a photo, or the thumbnail `of` a photo). Queuing it again changes nothing.
pub(crate) fn enqueue(conn: &Connection, sha256: &str, of: Option<&str>, length: u64) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO uploads (sha256, of_sha256, length) VALUES (?1, ?2, ?3)",
        params![sha256, of, length as i64],
    )?;
    Ok(())
}

/// Forget the uploads of a photo and of its thumbnail (the photo left the phone).
pub(crate) fn forget_photo(conn: &Connection, photo: &str) -> Result<()> {
    conn.execute("DELETE FROM uploads WHERE sha256 = ?1 OR of_sha256 = ?1", [photo])?;
    Ok(())
}

/// The blobs still to send: thumbnails first (a reviewer sees something soonest), then photos;
/// oldest first within each.
pub(crate) fn waiting(conn: &Connection) -> Result<Vec<Queued>> {
    let mut s = conn.prepare(
        "SELECT sha256, of_sha256, length, location, confirmed FROM uploads
         WHERE done = 0 ORDER BY of_sha256 IS NULL, rowid",
    )?;
    let rows = s.query_map([], |r| {
        Ok(Queued {
            sha256: r.get(0)?,
            of_sha256: r.get(1)?,
            length: r.get::<_, i64>(2)? as u64,
            location: r.get(3)?,
            confirmed: r.get::<_, i64>(4)? as u64,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Where the depot put the upload (`None`: it is gone there; create another).
pub(crate) fn set_location(conn: &Connection, sha256: &str, location: Option<&str>, confirmed: u64) -> Result<()> {
    conn.execute(
        "UPDATE uploads SET location = ?2, confirmed = ?3 WHERE sha256 = ?1",
        params![sha256, location, confirmed as i64],
    )?;
    Ok(())
}

/// The depot confirmed it holds `confirmed` bytes.
pub(crate) fn set_confirmed(conn: &Connection, sha256: &str, confirmed: u64) -> Result<()> {
    conn.execute("UPDATE uploads SET confirmed = ?2, last_error = NULL WHERE sha256 = ?1", params![sha256, confirmed as i64])?;
    Ok(())
}

/// The depot holds the whole blob.
pub(crate) fn set_done(conn: &Connection, sha256: &str) -> Result<()> {
    conn.execute(
        "UPDATE uploads SET done = 1, confirmed = length, location = NULL, last_error = NULL WHERE sha256 = ?1",
        [sha256],
    )?;
    Ok(())
}

/// Why the last attempt stopped short (a typed error code).
pub(crate) fn set_error(conn: &Connection, sha256: &str, code: &str) -> Result<()> {
    conn.execute("UPDATE uploads SET last_error = ?2 WHERE sha256 = ?1", params![sha256, code])?;
    Ok(())
}

/// (count, bytes still to send) of the waiting thumbnails and of the waiting photos.
pub(crate) fn totals(conn: &Connection) -> Result<[(u32, u64); 2]> {
    let mut out = [(0, 0); 2];
    let mut s = conn.prepare(
        "SELECT of_sha256 IS NULL, COUNT(*), COALESCE(SUM(length - confirmed), 0) FROM uploads WHERE done = 0 GROUP BY 1",
    )?;
    let rows = s.query_map([], |r| Ok((r.get::<_, bool>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
    for row in rows {
        let (photo, n, bytes) = row?;
        out[photo as usize] = (n as u32, bytes as u64);
    }
    Ok(out)
}
