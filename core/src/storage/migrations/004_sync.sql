-- 004: sync. The outbox of changes waiting for the depot, this phone's enrollment and cursor,
-- and the records the depot sends (orders, stock, others' documents, conflicts).
-- (003 is photos, on its own branch; the numbers are fixed so both merge cleanly.)

-- One row: the depot this phone syncs with and where it is in the change feed.
CREATE TABLE sync_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    server_url       TEXT,
    account_id       TEXT,
    role             TEXT,
    token            TEXT,
    token_expires_ms INTEGER,
    cursor           INTEGER NOT NULL DEFAULT 0,
    -- The next mutation counter of this device (never reused, so the server applies each once).
    next_counter     INTEGER NOT NULL DEFAULT 1,
    -- Server time minus this phone's time, learnt at each sync: stamps follow the depot's
    -- clock even when the phone's is a year off.
    clock_offset_ms  INTEGER NOT NULL DEFAULT 0,
    -- Added to the wall clock before anything else (tests and demos simulate a wrong clock).
    clock_skew_ms    INTEGER NOT NULL DEFAULT 0,
    last_sync_ms     INTEGER,
    last_error       TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- Changes made here and not yet acknowledged by the depot, in counter order. `body` is the
-- mutation as sent. A change the depot refused is 'wedged' with the reason, and never blocks
-- the ones behind it; the user retries or discards it.
CREATE TABLE outbox (
    counter    INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'wedged')),
    reason     TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE INDEX outbox_by_record ON outbox (kind, record_id);

-- Orders as the depot last sent them (the phone shows them with its pending commands replayed).
CREATE TABLE orders (
    id          TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL,
    artisan_id  TEXT,
    body        TEXT NOT NULL
);

-- Stock movements at the depot for the products this phone may see (sums give quantities).
CREATE TABLE stock_entries (
    id         TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL,
    delta      INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX stock_by_product ON stock_entries (product_id);

-- Documents this phone sees but does not own (a mentor's mentees' drafts, profiles), as sent.
CREATE TABLE remote_docs (
    kind  TEXT NOT NULL,
    id    TEXT NOT NULL,
    owner TEXT,
    body  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Conflicts to show: a document field's losing concurrent value (restore or keep), or a change
-- another device of this account made that the depot refused.
CREATE TABLE conflicts (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    field      TEXT,
    value      TEXT,
    hlc        TEXT,
    reason     TEXT,
    created_ms INTEGER NOT NULL
);
CREATE INDEX conflicts_by_record ON conflicts (kind, record_id);
