-- 006: when each phone last reached the depot (any authenticated request; written at most once a
-- minute per phone), so that a mentor sees which mentees' phones have gone quiet.
-- PostgreSQL twin of sqlite/006_last_seen.sql: INTEGER is BIGINT.
ALTER TABLE devices ADD COLUMN last_seen_ms BIGINT;
