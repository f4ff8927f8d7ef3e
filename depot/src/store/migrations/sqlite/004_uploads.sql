-- 004: resumable uploads of blobs (photos) and the records that refer to each blob (ADR 0013).

-- Which records refer to which blob (content hash), kept by `put_record` with every write of a
-- record: who may upload a blob and who may read it follow from these records.
CREATE TABLE blob_refs (
    sha256 TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    PRIMARY KEY (sha256, kind, id)
) WITHOUT ROWID;
CREATE INDEX blob_refs_by_record ON blob_refs (kind, id);

-- The references of drafts stored before this migration: their photo lists, current and in
-- conflict (`fundi_sync::depot::blob_refs` says the same for every later write).
INSERT OR IGNORE INTO blob_refs (sha256, kind, id)
    SELECT p.value, r.kind, r.id FROM records r, json_each(r.body, '$.doc.fields.photos.value') p
    WHERE r.kind = 'draft' AND p.type = 'text' AND length(p.value) = 64;
INSERT OR IGNORE INTO blob_refs (sha256, kind, id)
    SELECT p.value, r.kind, r.id FROM records r, json_each(r.body, '$.doc.conflicts.photos') c, json_each(c.value, '$.value') p
    WHERE r.kind = 'draft' AND p.type = 'text' AND length(p.value) = 64;

-- One row per tus upload. `received` counts the bytes stored and flushed in the upload's
-- partial file (`<data-dir>/uploads/<id>`); the file may hold more after a kill, never less, and
-- is cut back to `received` before the next chunk. A finished upload keeps its row until it
-- expires, so that a phone whose last reply was lost can ask (`HEAD`) and hear it is complete.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY NOT NULL,
    device_id   TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    length      INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    finished_ms INTEGER
);
CREATE INDEX uploads_by_device ON uploads (device_id, sha256);
CREATE INDEX uploads_by_expiry ON uploads (expires_ms);
