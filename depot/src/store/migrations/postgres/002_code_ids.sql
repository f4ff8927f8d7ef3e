-- Enrollment is a key exchange over the code (fundi_sync::enrollment): the phone names its
-- code by the first group, in clear, and never sends the rest. Codes issued before this have
-- no name and can no longer be used (issue a replacement code).
-- PostgreSQL twin of sqlite/002_code_ids.sql: the same statements.
ALTER TABLE enrollment_codes ADD COLUMN code_id TEXT;
CREATE INDEX enrollment_codes_by_id ON enrollment_codes (code_id);
