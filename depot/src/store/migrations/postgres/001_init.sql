-- 001: accounts and devices, enrollment codes, the record store and its change sequence.
-- PostgreSQL twin of sqlite/001_init.sql (ADR 0029): INTEGER is BIGINT (the store binds i64);
-- `WITHOUT ROWID` has no meaning here and is dropped (every table is a heap with its primary key
-- index). `meta.id` is always given (1), so it is a plain BIGINT key, not an identity.

CREATE TABLE meta (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    node      BIGINT NOT NULL,         -- the server's HLC node id
    next_seq  BIGINT NOT NULL          -- the change feed's next sequence number
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('artisan', 'mentor', 'staff', 'operations')),
    name       TEXT NOT NULL,
    mentor_id  TEXT REFERENCES accounts (id),
    created_ms BIGINT NOT NULL
);
CREATE INDEX accounts_by_mentor ON accounts (mentor_id);

-- A code is shown once to the person enrolling a phone; only its hash is kept.
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    issued_by  TEXT,
    expires_ms BIGINT NOT NULL,
    used_ms    BIGINT,
    used_by    TEXT                    -- the device that exchanged it (a lost reply may be retried)
);

-- One row per enrolled phone. `next_token_hash` is a rotated token not yet used: both work
-- until the phone uses the new one, so a rotation whose reply was lost costs nothing.
CREATE TABLE devices (
    device_id        TEXT PRIMARY KEY NOT NULL,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    token_hash       TEXT NOT NULL UNIQUE,
    next_token_hash  TEXT UNIQUE,
    token_expires_ms BIGINT NOT NULL,
    revoked_ms       BIGINT,
    last_counter     BIGINT NOT NULL DEFAULT 0,
    created_ms       BIGINT NOT NULL
);
CREATE INDEX devices_by_account ON devices (account_id);

-- The answer given to each mutation, so a replayed batch gets the very same answers.
CREATE TABLE push_results (
    device_id TEXT NOT NULL,
    counter   BIGINT NOT NULL,
    result    TEXT NOT NULL,
    PRIMARY KEY (device_id, counter)
);

-- Every synced record, newest state only. `owner` is the artisan account whose record it is
-- (NULL: depot-wide, e.g. an unassigned order); `seq` orders the change feed; `last_device`
-- is the phone whose push made the latest change cleanly (pull does not echo it back).
CREATE TABLE records (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    owner       TEXT,
    seq         BIGINT NOT NULL,
    last_device TEXT,
    body        TEXT NOT NULL,
    state       TEXT,                  -- documents: the full merge state (with replaced stamps)
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX records_by_seq ON records (seq);
CREATE INDEX records_by_owner_seq ON records (owner, seq);
-- Orders imported from a shop or partner, unique by their reference there (import is idempotent).
CREATE TABLE order_refs (
    source       TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    PRIMARY KEY (source, external_ref)
);
