//! The tally of the last sync, the only SQL on `sync_tally`: what it cost on the wire by part
//! (records pushed and pulled, thumbnails, photos), kept so that the app shows "last sync: sent
//! X, received Y" after a restart. A sync starts the tally again with its records, cut short or
//! not (the bytes were spent); the uploads that follow it add their thumbnails and photos.

use crate::account::WireStats;
use crate::error::Result;
use rusqlite::{params, Connection};

/// One part of a sync: how many items went or came, and what they cost on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartTally {
    /// Records pushed and pulled; blobs the depot took whole.
    pub items: u32,
    pub wire: WireStats,
}

/// What the last sync cost, by part and in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncTally {
    /// When its last part ran (ms since the epoch).
    pub at_ms: u64,
    pub records: PartTally,
    pub thumbnails: PartTally,
    pub photos: PartTally,
    /// Over every part.
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// A part of the tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Records,
    Thumbnails,
    Photos,
}

impl Part {
    fn code(self) -> &'static str {
        match self {
            Part::Records => "records",
            Part::Thumbnails => "thumbnails",
            Part::Photos => "photos",
        }
    }
}

/// A sync's records: the tally starts again with them.
pub(crate) fn start(conn: &Connection, records: PartTally, now_ms: u64) -> Result<()> {
    conn.execute("DELETE FROM sync_tally", [])?;
    add(conn, Part::Records, records, now_ms)
}

/// Add what a part cost (uploads after a sync). Nothing sent, nothing noted.
pub(crate) fn add(conn: &Connection, part: Part, t: PartTally, now_ms: u64) -> Result<()> {
    if t.wire.round_trips == 0 && part != Part::Records {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO sync_tally (part, items, round_trips, bytes_sent, bytes_received, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (part) DO UPDATE SET items = items + excluded.items, round_trips = round_trips + excluded.round_trips,
             bytes_sent = bytes_sent + excluded.bytes_sent, bytes_received = bytes_received + excluded.bytes_received,
             at_ms = excluded.at_ms",
        params![part.code(), t.items, t.wire.round_trips, t.wire.bytes_sent as i64, t.wire.bytes_received as i64, now_ms as i64],
    )?;
    Ok(())
}

/// The last sync's tally, or `None` before the first.
pub(crate) fn last(conn: &Connection) -> Result<Option<SyncTally>> {
    let mut s = conn.prepare("SELECT part, items, round_trips, bytes_sent, bytes_received, at_ms FROM sync_tally")?;
    let rows = s.query_map([], |r| {
        let wire = WireStats {
            round_trips: r.get(2)?,
            bytes_sent: r.get::<_, i64>(3)? as u64,
            bytes_received: r.get::<_, i64>(4)? as u64,
        };
        Ok((r.get::<_, String>(0)?, PartTally { items: r.get(1)?, wire }, r.get::<_, i64>(5)? as u64))
    })?;
    let mut tally: Option<SyncTally> = None;
    for row in rows {
        let (part, t, at_ms) = row?;
        let all = tally.get_or_insert_with(SyncTally::default);
        match part.as_str() {
            "records" => all.records = t,
            "thumbnails" => all.thumbnails = t,
            "photos" => all.photos = t,
            _ => continue,
        }
        all.at_ms = all.at_ms.max(at_ms);
        all.bytes_sent += t.wire.bytes_sent;
        all.bytes_received += t.wire.bytes_received;
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::schema::migrate;

    fn wire(round_trips: u32, bytes_sent: u64, bytes_received: u64) -> WireStats {
        WireStats { round_trips, bytes_sent, bytes_received }
    }

    #[test]
    fn a_sync_starts_the_tally_again_and_uploads_add_to_it() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        assert_eq!(last(&conn).unwrap(), None, "never synced");
        start(&conn, PartTally { items: 3, wire: wire(2, 900, 4_000) }, 10).unwrap();
        add(&conn, Part::Thumbnails, PartTally { items: 1, wire: wire(2, 15_500, 400) }, 11).unwrap();
        add(&conn, Part::Photos, PartTally { items: 0, wire: wire(0, 0, 0) }, 12).unwrap();
        add(&conn, Part::Thumbnails, PartTally { items: 1, wire: wire(2, 14_500, 400) }, 13).unwrap();
        let t = last(&conn).unwrap().unwrap();
        assert_eq!(t.records, PartTally { items: 3, wire: wire(2, 900, 4_000) });
        assert_eq!(t.thumbnails, PartTally { items: 2, wire: wire(4, 30_000, 800) });
        assert_eq!(t.photos, PartTally::default(), "a run that sent nothing is not noted");
        assert_eq!((t.at_ms, t.bytes_sent, t.bytes_received), (13, 30_900, 4_800));
        // The next sync starts over.
        start(&conn, PartTally { items: 0, wire: wire(1, 300, 200) }, 20).unwrap();
        let t = last(&conn).unwrap().unwrap();
        assert_eq!((t.thumbnails, t.at_ms, t.bytes_sent, t.bytes_received), (PartTally::default(), 20, 300, 200));
    }
}
