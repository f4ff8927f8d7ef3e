-- 011: the published catalog (issue 15, ADR 0025). A product is a record (kind 'product',
-- id = its draft's id) that syncs to its artisan like any other; every approved version is
-- kept here too, with who approved it, so what was on sale when is never lost.
-- PostgreSQL twin of sqlite/011_products.sql: INTEGER is BIGINT; `WITHOUT ROWID` is dropped.
CREATE TABLE product_versions (
    product_id  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    body        TEXT NOT NULL,         -- the ProductBody as approved
    approved_by TEXT NOT NULL,         -- the reviewer's account
    approved_ms BIGINT NOT NULL,
    PRIMARY KEY (product_id, version)
);
