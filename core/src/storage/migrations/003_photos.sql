-- 003: photos, stored as content-addressed files (SHA-256) in the app's photo library, and
-- their place on drafts. The bytes live in files; these rows say which files are wanted.

CREATE TABLE photos (
    hash        TEXT PRIMARY KEY NOT NULL,  -- SHA-256 (hex) of the upload JPEG: its file name
    thumb_hash  TEXT NOT NULL,              -- SHA-256 of the thumbnail JPEG
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    thumb_bytes INTEGER NOT NULL,
    advice      TEXT NOT NULL,              -- JSON array of coaching codes, e.g. ["blurry"]
    created_hlc TEXT NOT NULL
) WITHOUT ROWID;

-- A draft's photos in order; position 0 is the primary photo. Synced as the draft field
-- `photos` (the ordered list of hashes, stamped in field_versions).
CREATE TABLE draft_photos (
    draft_id   TEXT NOT NULL REFERENCES drafts (id),
    position   INTEGER NOT NULL,
    photo_hash TEXT NOT NULL REFERENCES photos (hash),
    PRIMARY KEY (draft_id, position),
    UNIQUE (draft_id, photo_hash)
) WITHOUT ROWID;

CREATE INDEX draft_photos_by_photo ON draft_photos (photo_hash);
