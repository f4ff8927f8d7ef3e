-- 012: a mentor's mentees as the depot last listed them (`GET /v1/mentees`, fetched at each of
-- the mentor's syncs), so the list shows offline. Replaced whole at each fetch.
CREATE TABLE mentees (
    account_id   TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    phones       INTEGER NOT NULL,  -- enrolled and not revoked
    code_waiting INTEGER NOT NULL,  -- a one-time code issued, neither used nor expired
    last_seen_ms INTEGER            -- when one of her phones last reached the depot
) WITHOUT ROWID;
