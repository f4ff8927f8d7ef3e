-- 005: thumbnails uploaded beside their photos (ADR 0013). A record names a draft's photos, not
-- their thumbnails: a thumbnail is uploaded declaring the photo it belongs to (`thumbnail_of`),
-- by whoever may upload that photo, and is read by whoever may read it.
-- PostgreSQL twin of sqlite/005_thumbnails.sql: `WITHOUT ROWID` is dropped.
CREATE TABLE blob_thumbnails (
    sha256    TEXT NOT NULL,   -- the thumbnail
    of_sha256 TEXT NOT NULL,   -- its photo
    PRIMARY KEY (sha256, of_sha256)
);
CREATE INDEX blob_thumbnails_by_photo ON blob_thumbnails (of_sha256);
