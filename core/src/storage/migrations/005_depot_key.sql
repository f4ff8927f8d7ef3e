-- The depot's key, pinned at enrollment (fundi_sync::identity): the phone accepts no other.
-- A next key the depot announced, signed by the pinned one, is accepted too, and pinned (with
-- its certificate) once the depot presents it.
-- Phones enrolled before this, over plain HTTP, have no key and must enroll again.
ALTER TABLE sync_state ADD COLUMN depot_key TEXT;
ALTER TABLE sync_state ADD COLUMN depot_next_key TEXT;
-- The pinned key's certificate (DER): announcements of a next key are checked against it.
ALTER TABLE sync_state ADD COLUMN depot_cert BLOB;
