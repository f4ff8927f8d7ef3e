-- 016: the published catalog (issue 15, ADR 0025). No table: products are kept in `remote_docs`
-- as the money entries are (`products/`). But a build before this one held two kinds of records
-- it could not show and this one shows, and the depot sends neither again unless it changes:
-- orders in the `stocked` status (a final status: never sent again) and `product` records.
-- They are released here, by the test this build applies as it pulls them
-- (`products::readable`: a body that reads as a `ProductBody`, in a listing state it knows);
-- `products::tests` proves the two agree.

UPDATE orders SET needs_newer_app = 0 WHERE needs_newer_app = 1 AND status = 'stocked';

UPDATE remote_docs SET needs_newer_app = 0
WHERE needs_newer_app = 1 AND kind = 'product' AND json_valid(body)
  AND json_type(body, '$.owner') = 'text'
  AND json_type(body, '$.version') = 'integer' AND json_extract(body, '$.version') BETWEEN 0 AND 4294967295
  AND json_type(body, '$.title') = 'text'
  AND json_type(body, '$.description') = 'text'
  AND json_type(body, '$.materials') = 'array'
  AND NOT EXISTS (SELECT 1 FROM json_each(body, '$.materials') WHERE type IS NOT 'text')
  AND json_type(body, '$.category') = 'text'
  AND json_type(body, '$.price_minor') = 'integer'
  AND json_type(body, '$.weekly_capacity') = 'integer' AND json_extract(body, '$.weekly_capacity') BETWEEN 0 AND 4294967295
  AND json_type(body, '$.photos') = 'array'
  AND NOT EXISTS (SELECT 1 FROM json_each(body, '$.photos') WHERE type IS NOT 'text')
  AND json_type(body, '$.approved_ms') = 'integer' AND json_extract(body, '$.approved_ms') >= 0
  AND json_extract(body, '$.listing') IN ('awaiting_price', 'published', 'unpublished')
  AND coalesce(json_type(body, '$.shop_price_minor'), 'null') IN ('integer', 'null')
  AND coalesce(json_type(body, '$.shop_currency'), 'null') IN ('text', 'null');
