-- 007: the members of a field write that this build does not know (a newer app's), kept with
-- the write so that it is sent on unchanged: for a draft field's current write (beside its
-- stamp) and for a conflict's losing write. JSON object text; NULL when there are none.

ALTER TABLE field_versions ADD COLUMN extra TEXT;
ALTER TABLE conflicts ADD COLUMN extra TEXT;
