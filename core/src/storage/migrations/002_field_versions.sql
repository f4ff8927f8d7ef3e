-- 002: per-field HLC stamps (the sync engine merges documents field by field, last writer wins)
-- and a place for fields written by newer app versions, carried through unchanged.

CREATE TABLE field_versions (
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id, field)
) WITHOUT ROWID;

ALTER TABLE drafts ADD COLUMN unknown_fields TEXT NOT NULL DEFAULT '{}';

-- Drafts written before this version: every field was last written at the draft's update.
INSERT INTO field_versions (record_kind, record_id, field, hlc)
SELECT 'draft', d.id, f.field, d.updated_hlc
FROM drafts d
CROSS JOIN (SELECT 'title' AS field UNION ALL SELECT 'description' UNION ALL SELECT 'materials'
            UNION ALL SELECT 'category' UNION ALL SELECT 'price' UNION ALL SELECT 'weekly_capacity'
            UNION ALL SELECT 'status') f;
