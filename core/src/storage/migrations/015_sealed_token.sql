-- 015: the device token sealed by the platform's token vault (the Android Keystore in the app;
-- ADR 0017). `sealed_token` holds only what the vault returned. The clear `token` column of
-- older versions stays in the schema but is never written again except to clear it: a clear
-- token found there is sealed into `sealed_token` and set to NULL at the first open with a
-- vault (`account::seal_clear_token`, which needs the vault, so it cannot be SQL here), then
-- the file is vacuumed so that no freed page keeps a copy.
ALTER TABLE sync_state ADD COLUMN sealed_token BLOB;
