-- 013: the platform's margin (issue 11 item 1, ADR 0027).

-- What one unit of a shop currency is worth in shillings, from a day on: a history like
-- `commission_rates` (a rate applies from its day until the next rate's day; rows are never
-- changed; a second rate for the same currency and day is refused). Kept exactly, as
-- ten-thousandths of a shilling per unit (KSh 129.50 a dollar is 1295000), the precision the
-- Central Bank of Kenya publishes. KES itself is 1 and has no row.
CREATE TABLE exchange_rates (
    currency        TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP')),
    effective_day   TEXT NOT NULL,
    kes_per_unit_e4 INTEGER NOT NULL CHECK (kes_per_unit_e4 BETWEEN 1 AND 100000000),
    set_by          TEXT NOT NULL,
    set_ms          INTEGER NOT NULL,
    PRIMARY KEY (currency, effective_day)
) WITHOUT ROWID;
CREATE TRIGGER exchange_rates_never_change BEFORE UPDATE ON exchange_rates
BEGIN SELECT RAISE(ABORT, 'exchange rates are never changed: set a rate from another day'); END;
CREATE TRIGGER exchange_rates_never_go BEFORE DELETE ON exchange_rates
BEGIN SELECT RAISE(ABORT, 'exchange rates are never deleted'); END;

-- What the shop sold an order for, recorded by the depot in the transaction that makes the
-- order of a shop's line (the shop's price a piece times the quantity, in the shop's currency,
-- on the day of the sale). Not on the synced order: phones never see it. An order imported by
-- hand, and a replenishment, have no row.
CREATE TABLE order_sales (
    order_id    TEXT PRIMARY KEY NOT NULL,
    shop_id     TEXT NOT NULL,
    price_minor INTEGER NOT NULL CHECK (price_minor > 0),
    currency    TEXT NOT NULL,
    sold_day    TEXT NOT NULL
) WITHOUT ROWID;

-- The platform's own ledger: the margin each delivered sale leaves it (in shillings, signed: a
-- sale priced below the artisan's price leaves less than nothing), and its reversal on a
-- refund. Append-only; one margin and at most one reversal per order (the ids). Each margin
-- row keeps its workings, so it can be checked by hand.
CREATE TABLE platform_ledger (
    seq                      INTEGER PRIMARY KEY,
    id                       TEXT NOT NULL UNIQUE,  -- margin:{order} | margin_reversal:{order}
    kind                     TEXT NOT NULL CHECK (kind IN ('margin', 'margin_reversal')),
    order_id                 TEXT NOT NULL,
    amount_minor             INTEGER NOT NULL,
    currency                 TEXT NOT NULL,
    sale_minor               INTEGER NOT NULL,      -- the sale, in its currency
    sale_currency            TEXT NOT NULL,
    kes_per_unit_e4          INTEGER NOT NULL,      -- the rate in force on the sale's day
    sale_kes_minor           INTEGER NOT NULL,      -- the sale in shillings, down to the cent
    earning_minor            INTEGER NOT NULL,      -- the artisan's
    commission_at_rate_minor INTEGER NOT NULL,      -- the mentor's at her rate (0: none)
    commission_minor         INTEGER NOT NULL,      -- what she was paid: at most the margin
    note                     TEXT,                  -- a reversal's reason
    at_ms                    INTEGER NOT NULL
);
CREATE TRIGGER platform_ledger_never_changes BEFORE UPDATE ON platform_ledger
BEGIN SELECT RAISE(ABORT, 'the platform ledger is append-only'); END;
CREATE TRIGGER platform_ledger_never_loses BEFORE DELETE ON platform_ledger
BEGIN SELECT RAISE(ABORT, 'the platform ledger is append-only'); END;
