-- 010: who recorded each stock movement (issue 12's Stock page: "movements with who recorded
-- them"). The depot's own knowledge, not on the wire: written with the entry, by the account
-- that pushed it or gave it in the console. Entries recorded before this migration have none.
-- PostgreSQL twin of sqlite/010_stock_recorders.sql: INTEGER is BIGINT; `WITHOUT ROWID` is dropped.
CREATE TABLE stock_recorders (
    entry_id    TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL
);
