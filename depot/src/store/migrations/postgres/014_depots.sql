-- 014: several depots in one deployment (issue 13 item 2, ADR 0030).
-- PostgreSQL twin of sqlite/014_depots.sql: INTEGER is BIGINT; `WITHOUT ROWID` is dropped; the
-- default depot's creation time is `now()` in whole seconds, as SQLite's `strftime('%s', 'now')`.

-- A depot: a place artisans bring their work to, with its staff. A deployment of one box is one
-- depot: the default one inserted here (its id is `store::depots::DEFAULT_DEPOT`), which every
-- store made before this migration becomes, holding everything it held. Names are unique, so
-- that a list of depots reads without ambiguity.
CREATE TABLE depots (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);
INSERT INTO depots (id, name, created_ms)
VALUES ('00000000-0000-7000-8000-00000000d001', 'Main depot', CAST(floor(extract(epoch FROM now())) AS BIGINT) * 1000);

-- The depot an account belongs to: artisans, mentors and staff each belong to one; operations
-- accounts to none (NULL: they act on every depot, and no query by depot ever counts them in
-- one). Orders, stock entries, drafts, profiles and products belong to their owner's depot
-- through this column: they carry no depot of their own (ADR 0030).
ALTER TABLE accounts ADD COLUMN depot_id TEXT REFERENCES depots (id);
UPDATE accounts SET depot_id = '00000000-0000-7000-8000-00000000d001' WHERE role <> 'operations';
CREATE INDEX accounts_by_depot ON accounts (depot_id);
