-- 009: how many older concurrent values of a conflict's field the depot folded away (a field
-- keeps at most 8; the phone shows "N older versions not kept" beside its conflicts).

ALTER TABLE conflicts ADD COLUMN folded INTEGER NOT NULL DEFAULT 0;
