-- 008: records held for a newer app. A pulled record this build cannot show (an order in a
-- status it does not know, an own draft with a field value it cannot hold in its column, a
-- reviewed draft in a status it does not know, a profile that does not read as one, a record
-- of a kind it does not know) is kept as sent and marked: the views leave it out instead of
-- failing for every record, the sync status counts it, and a later pull that brings a state
-- this build can show clears the mark.

ALTER TABLE orders ADD COLUMN needs_newer_app INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN needs_newer_app INTEGER NOT NULL DEFAULT 0;
ALTER TABLE remote_docs ADD COLUMN needs_newer_app INTEGER NOT NULL DEFAULT 0;

-- Records stored before this version, by protocol 1's codes.
UPDATE orders SET needs_newer_app = 1
WHERE status NOT IN ('new', 'assigned', 'accepted', 'declined', 'in_production', 'ready_for_pickup', 'received',
                     'qc_passed', 'qc_failed', 'shipped', 'delivered', 'cancelled');
UPDATE remote_docs SET needs_newer_app = 1
WHERE kind NOT IN ('draft', 'profile')
   OR (kind = 'draft' AND coalesce(json_extract(body, '$.status'), '') NOT IN ('draft', 'submitted', 'changes_requested', 'approved'))
   OR json_type(body, '$.doc') IS NOT 'object';

-- An own draft whose pulled `materials` were stored although not all text: the value moves
-- to where this version keeps a known field's value it cannot hold (the unknown fields, with
-- its stamp), the column gets an empty list, and the draft is held.
UPDATE drafts
SET unknown_fields = json_set(unknown_fields, '$.materials', json_object(
        'value', json(materials),
        'hlc', coalesce((SELECT hlc FROM field_versions f
                         WHERE f.record_kind = 'draft' AND f.record_id = drafts.id AND f.field = 'materials'), updated_hlc))),
    materials = '[]',
    needs_newer_app = 1
WHERE json_valid(materials) AND (json_type(materials) IS NOT 'array'
                                 OR EXISTS (SELECT 1 FROM json_each(drafts.materials) WHERE type IS NOT 'text'));
