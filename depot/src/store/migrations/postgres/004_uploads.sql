-- 004: resumable uploads of blobs (photos) and the records that refer to each blob (ADR 0013).
-- PostgreSQL twin of sqlite/004_uploads.sql: INTEGER is BIGINT; `WITHOUT ROWID` is dropped;
-- `INSERT OR IGNORE` is `ON CONFLICT DO NOTHING`. SQLite's `json_each(json, path)` walks an
-- array's elements, an object's values, or a lone scalar itself; `pg_temp.json_each_value`
-- below does the same over jsonb (a function of this session only, dropped at the end), and
-- `p.type = 'text'` is `jsonb_typeof = 'string'` with `#>> '{}'` for the unquoted text.

-- Which records refer to which blob (content hash), kept by `put_record` with every write of a
-- record: who may upload a blob and who may read it follow from these records.
CREATE TABLE blob_refs (
    sha256 TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    PRIMARY KEY (sha256, kind, id)
);
CREATE INDEX blob_refs_by_record ON blob_refs (kind, id);

CREATE FUNCTION pg_temp.json_each_value(j JSONB) RETURNS SETOF JSONB LANGUAGE sql IMMUTABLE AS $$
    SELECT e.value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE '[]' END) e
    UNION ALL
    SELECT e.value FROM jsonb_each(CASE WHEN jsonb_typeof(j) = 'object' THEN j ELSE '{}' END) e
    UNION ALL
    SELECT j WHERE jsonb_typeof(j) NOT IN ('array', 'object')
$$;

-- The references of drafts stored before this migration: their photo lists, current and in
-- conflict (`fundi_sync::depot::blob_refs` says the same for every later write).
INSERT INTO blob_refs (sha256, kind, id)
    SELECT p #>> '{}', r.kind, r.id
    FROM records r, pg_temp.json_each_value(r.body::JSONB #> '{doc,fields,photos,value}') p
    WHERE r.kind = 'draft' AND jsonb_typeof(p) = 'string' AND length(p #>> '{}') = 64
    ON CONFLICT DO NOTHING;
INSERT INTO blob_refs (sha256, kind, id)
    SELECT p #>> '{}', r.kind, r.id
    FROM records r, pg_temp.json_each_value(r.body::JSONB #> '{doc,conflicts,photos}') c,
         pg_temp.json_each_value(c -> 'value') p
    WHERE r.kind = 'draft' AND jsonb_typeof(p) = 'string' AND length(p #>> '{}') = 64
    ON CONFLICT DO NOTHING;

DROP FUNCTION pg_temp.json_each_value(JSONB);

-- One row per tus upload. `received` counts the bytes stored and flushed in the upload's
-- partial file (`<data-dir>/uploads/<id>`); the file may hold more after a kill, never less, and
-- is cut back to `received` before the next chunk. A finished upload keeps its row until it
-- expires, so that a phone whose last reply was lost can ask (`HEAD`) and hear it is complete.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY NOT NULL,
    device_id   TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    length      BIGINT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    finished_ms BIGINT
);
CREATE INDEX uploads_by_device ON uploads (device_id, sha256);
CREATE INDEX uploads_by_expiry ON uploads (expires_ms);
