-- 009: the depot console's sign-in, sessions and audit log (issue 12, ADR 0024).
-- A console password is set with a one-time setup code (only its hash is kept) and stored as an
-- argon2id hash; the login is a short name the account chooses, unique.
CREATE TABLE console_credentials (
    account_id    TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id),
    login         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,     -- PHC string (argon2id, its salt and parameters)
    set_ms        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE console_setup_codes (
    code_hash   TEXT PRIMARY KEY NOT NULL,   -- sha256 of the code, never the code
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_by  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER
) WITHOUT ROWID;

-- A session is found by the hash of its cookie; its CSRF token is sent in every form.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    csrf_token   TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_by_account ON console_sessions (account_id);

-- Who changed what, when: every change made in the console (and its sign-ins), never edited.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    detail     TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms);
