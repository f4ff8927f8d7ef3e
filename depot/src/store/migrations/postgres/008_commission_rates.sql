-- 008: mentors' commission rates with their history (issue 11 item 1, ADR 0020). A rate applies
-- from its day (a calendar day in the deployment's zone, YYYY-MM-DD) until the next rate's day;
-- a delivery earns the mentor the rate in force on the day it is delivered. Rows are never
-- changed: a new rate is a new row, so what applied when stays readable.
-- PostgreSQL twin of sqlite/008_commission_rates.sql: INTEGER is BIGINT; `WITHOUT ROWID` is dropped.
CREATE TABLE commission_rates (
    effective_day TEXT PRIMARY KEY NOT NULL,
    basis_points  BIGINT NOT NULL CHECK (basis_points BETWEEN 0 AND 5000),  -- 1/100 of a percent
    set_by        TEXT NOT NULL,
    set_ms        BIGINT NOT NULL
);
