-- 012: shops that send orders by the webhook (issue 15 item 3, ADR 0026).
-- A shop signs every delivery with its secret (HMAC-SHA256), and the depot recomputes the
-- signature to check it: so the secret is kept as it is, not hashed. It is printed once, when
-- operations add the shop; whoever can read this file can sign as the shop (as whoever can
-- read the key directory can serve as the depot).
CREATE TABLE shops (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER               -- set: its deliveries are refused (401 revoked)
) WITHOUT ROWID;

-- Signatures of deliveries taken, kept while their timestamps could still be inside the replay
-- window: the same signature again is a replay (409 replayed).
CREATE TABLE shop_signatures (
    shop_id   TEXT NOT NULL,
    signature TEXT NOT NULL,         -- the header's 64 hex digits
    seen_ms   INTEGER NOT NULL,
    PRIMARY KEY (shop_id, signature)
) WITHOUT ROWID;
CREATE INDEX shop_signatures_by_time ON shop_signatures (seen_ms);

-- Each shop order turned into orders, with what was asked (the order as read, canonical JSON)
-- and answered: the same order delivered again gets the same answer and creates nothing.
CREATE TABLE shop_orders (
    shop_id       TEXT NOT NULL,
    shop_order_id TEXT NOT NULL,
    request       TEXT NOT NULL,
    answer        TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    PRIMARY KEY (shop_id, shop_order_id)
) WITHOUT ROWID;

-- Every delivery's outcome, taken or refused, for operations (`fundi-depot shop deliveries`);
-- the latest rows only (`store::shops::DELIVERIES_KEPT`).
CREATE TABLE shop_deliveries (
    id            INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,
    shop_id       TEXT NOT NULL,     -- as the request named it ('' for none): maybe no shop
    shop_order_id TEXT,              -- once the body was read
    status        INTEGER NOT NULL,  -- the HTTP status answered
    code          TEXT NOT NULL,     -- 'ok', or the error code
    detail        TEXT NOT NULL
);
CREATE INDEX shop_deliveries_by_shop ON shop_deliveries (shop_id, id);
