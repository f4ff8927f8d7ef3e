-- 013: what the network costs (issue 10, items 3 and 5).
-- The data saver: on (the default), full photos go only on an unmetered network; thumbnails go
-- on any. A column of the sync state row (`account/db.rs`).
ALTER TABLE sync_state ADD COLUMN data_saver INTEGER NOT NULL DEFAULT 1;

-- What the last sync cost on the wire, by part: its records (push and pull), then the
-- thumbnails and photos uploaded after it. A sync starts the tally again; uploads add to it.
-- Owned by `replica/tally.rs`.
CREATE TABLE sync_tally (
    part           TEXT PRIMARY KEY NOT NULL CHECK (part IN ('records', 'thumbnails', 'photos')),
    items          INTEGER NOT NULL DEFAULT 0,  -- records pushed and pulled, blobs the depot took
    round_trips    INTEGER NOT NULL DEFAULT 0,
    bytes_sent     INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0,
    at_ms          INTEGER NOT NULL             -- when this part last ran
) WITHOUT ROWID;
