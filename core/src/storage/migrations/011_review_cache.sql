-- 011: the review cache (ADR 0015): the thumbnails and photos of other artisans' drafts that
-- this phone reviews, fetched from the depot into a bounded directory of their own. One row per
-- (photo, size); the file is named by its own hash. `used` is a counter, not a clock: the
-- least recently shown goes first when the cache is full.
CREATE TABLE review_cache (
    photo  TEXT NOT NULL,                                 -- the photo's hash, as a draft names it
    size   TEXT NOT NULL CHECK (size IN ('thumbnail', 'photo')),
    sha256 TEXT NOT NULL,                                 -- the file's own hash
    bytes  INTEGER NOT NULL CHECK (bytes >= 0),
    used   INTEGER NOT NULL,
    PRIMARY KEY (photo, size)
) WITHOUT ROWID;
CREATE INDEX review_cache_used ON review_cache (used);
