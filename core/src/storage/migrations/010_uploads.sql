-- 010: the upload queue (ADR 0013): each of this phone's photos and thumbnails to send to the
-- depot over tus, with where its upload is and how many bytes the depot confirmed, so that an
-- app killed at any byte resumes from the depot's offset. A row goes when its photo goes.
CREATE TABLE uploads (
    sha256     TEXT PRIMARY KEY NOT NULL,  -- the blob (its file in the photo library)
    of_sha256  TEXT,                       -- for a thumbnail: its photo; NULL for a photo
    length     INTEGER NOT NULL,
    location   TEXT,                       -- the depot's path of the upload, once created
    confirmed  INTEGER NOT NULL DEFAULT 0, -- bytes the depot said it holds
    done       INTEGER NOT NULL DEFAULT 0, -- the depot holds the whole blob
    last_error TEXT                        -- why the last attempt stopped (a code), if it did
);  -- a rowid table: the rowid keeps the order blobs were queued in

-- The photos already on the phone: their uploads wait.
INSERT OR IGNORE INTO uploads (sha256, of_sha256, length) SELECT thumb_hash, hash, thumb_bytes FROM photos;
INSERT OR IGNORE INTO uploads (sha256, of_sha256, length) SELECT hash, NULL, bytes FROM photos;
