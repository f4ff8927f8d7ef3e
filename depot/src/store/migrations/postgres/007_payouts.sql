-- 007: payouts by M-Pesa B2C (issue 11 item 2, ADR 0019). A batch groups the payouts operations
-- create for a period; each payout is one B2C payment, sent under its own id, whose state is
-- written before every call to Daraja.
-- PostgreSQL twin of sqlite/007_payouts.sql: INTEGER is BIGINT. The two `id TEXT PRIMARY KEY`
-- columns without NOT NULL take no NULL here (a PostgreSQL primary key implies NOT NULL; a
-- SQLite table with a rowid lets its TEXT key be NULL), which the store never writes.

CREATE TABLE payout_batches (
    -- Chosen by the depot when the batch is created (a UUID).
    id TEXT PRIMARY KEY,
    -- The period the batch pays for, as calendar days (YYYY-MM-DD, inclusive): for people and
    -- reports; the depot does not compute anything from it.
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- The operations account that created it, and when (ms since the epoch).
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    -- The sum of its payouts' amounts, in minor units (KES cents): what the approval threshold
    -- is compared with.
    total_minor BIGINT NOT NULL,
    -- The second operations account that approved it, and when; both NULL while it waits, and
    -- for a batch at or under the threshold (approved when created, by nobody else).
    approved_by TEXT,
    approved_ms BIGINT,
    -- 'awaiting_approval' (nothing is sent), 'approved' (its payouts are being sent), 'done'
    -- (every payout is paid or failed).
    state TEXT NOT NULL
);

CREATE TABLE payouts (
    -- The payout's id, which is also its OriginatorConversationID at Daraja: the only id it is
    -- ever sent under (a resend reuses it, so Daraja refuses a second payment as a duplicate).
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES payout_batches (id),
    -- Who is paid: her account and her M-Pesa number (2547XXXXXXXX, as Daraja writes it).
    artisan_id TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    -- What to pay, in minor units (whole shillings only: Daraja pays no cents).
    amount_minor BIGINT NOT NULL,
    -- queued | sent | accepted | unknown | paid | failed (ADR 0019 has the transitions).
    state TEXT NOT NULL,
    -- How many B2C requests were started for it (counted, and committed, before each call).
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Daraja's ConversationID from the answer that accepted it (results name it).
    conversation_id TEXT,
    -- The M-Pesa receipt and the amount Daraja's status query confirmed as paid (minor units).
    receipt TEXT,
    paid_minor BIGINT,
    -- Why it failed (Daraja's result code, or the depot's own reason) and in words; the
    -- artisan's balance is credited back with this reason.
    failure_code TEXT,
    failure_reason TEXT,
    -- The last error of a call or the last callback's reading, for operations to read.
    last_error TEXT,
    hint TEXT,
    -- The ConversationID of the status query in flight (its result is matched by it), when it
    -- was sent, and how many were sent.
    query_conversation_id TEXT,
    queried_ms BIGINT,
    queries BIGINT NOT NULL DEFAULT 0,
    -- When the engine looks at it next: sends it again (queued) or asks its status (accepted,
    -- unknown).
    next_ms BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    -- When the last request was started; when it became paid or failed.
    sent_ms BIGINT,
    finished_ms BIGINT,
    -- The order in which payouts became paid or failed (1, 2, ...): the cursor of
    -- `payouts::finished_since`, the hook of the earnings ledger.
    final_seq BIGINT UNIQUE
);

CREATE INDEX payouts_by_batch ON payouts (batch_id);
CREATE INDEX payouts_due ON payouts (state, next_ms);
CREATE INDEX payouts_by_conversation ON payouts (conversation_id);
CREATE INDEX payouts_by_query ON payouts (query_conversation_id);
