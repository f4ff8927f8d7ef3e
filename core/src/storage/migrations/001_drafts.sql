-- 001: the phone's identity, its hybrid logical clock, and catalog drafts.

-- This phone's permanent identity (one row). `node` is the HLC node id derived from it.
CREATE TABLE device (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL,
    node      INTEGER NOT NULL
);

-- The greatest HLC stamp issued or seen (one row), so the clock survives restarts.
CREATE TABLE hlc_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    wall_ms INTEGER NOT NULL,
    counter INTEGER NOT NULL
);

CREATE TABLE drafts (
    id              TEXT PRIMARY KEY NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    materials       TEXT NOT NULL,         -- JSON array of strings
    category        TEXT NOT NULL,
    price_minor     INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    weekly_capacity INTEGER NOT NULL,
    status          TEXT NOT NULL,
    created_hlc     TEXT NOT NULL,
    updated_hlc     TEXT NOT NULL,
    deleted_hlc     TEXT                   -- tombstone: set on delete, row kept for sync
);

CREATE INDEX drafts_live_by_created ON drafts (created_hlc) WHERE deleted_hlc IS NULL;
