-- 014: what the depot's mentees list added (`Mentee.late_orders`, `Mentee.devices`): her orders
-- past their due day, and her phones (JSON list of {device_id, enrolled_ms, last_seen_ms},
-- at most MENTEE_DEVICES_MAX) so that the mentor can revoke a lost one from the list.
ALTER TABLE mentees ADD COLUMN late_orders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mentees ADD COLUMN devices TEXT NOT NULL DEFAULT '[]';
