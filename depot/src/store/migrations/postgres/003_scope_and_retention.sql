-- 003: scope exits and tombstone retention (ADR 0012).
-- PostgreSQL twin of sqlite/003_scope_and_retention.sql: INTEGER is BIGINT; SQLite's
-- `CAST(strftime('%s', 'now') AS INTEGER)` (whole seconds, truncated) is
-- `floor(extract(epoch FROM now()))::BIGINT`; `WITHOUT ROWID` is dropped. `scope_exits.seq`
-- is always given (the feed number from `meta.next_seq`), so it is a plain BIGINT key.

-- The depot time of each record's last change (the moment its `seq` was given), so tombstones
-- older than the retention horizon can be found. Records stored before this migration count
-- from the upgrade.
ALTER TABLE records ADD COLUMN changed_ms BIGINT NOT NULL DEFAULT 0;
UPDATE records SET changed_ms = floor(extract(epoch FROM now()))::BIGINT * 1000;

-- A record leaving an account's scope (an order reassigned away, a mentee moved to another
-- mentor): an entry of the change feed (`seq` from `meta.next_seq`) pulled by that account only.
CREATE TABLE scope_exits (
    seq        BIGINT PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX scope_exits_by_account_seq ON scope_exits (account_id, seq);
CREATE INDEX scope_exits_by_created ON scope_exits (created_ms);

-- Records whose tombstone was pruned: never to be created again under the same id.
CREATE TABLE pruned_records (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    owner     TEXT,
    pruned_ms BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- The greatest feed position pruned so far: a phone whose cursor is below it missed something
-- that is gone, and must pull everything again (`cursor_expired`).
ALTER TABLE meta ADD COLUMN pruned_seq BIGINT NOT NULL DEFAULT 0;

-- The pruned position last reported to each device with `cursor_expired`: its full re-sync
-- (`full=1`) then goes on past older prunes, and starts over only after a newer one.
ALTER TABLE devices ADD COLUMN resync_floor BIGINT NOT NULL DEFAULT 0;
