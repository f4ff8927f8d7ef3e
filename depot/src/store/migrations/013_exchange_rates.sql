-- 013: the platform's margin (issue 11 item 1, ADR 0027): exchange rates.

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
