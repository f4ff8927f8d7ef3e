//! Stock at the depot: a ledger of movements (received, shipped, counted), summed per product.
//! Staff record movements; everyone sees the depot's entries plus this phone's pending ones.
//! `db.rs` is the only code touching the `stock_entries` table.

pub(crate) mod db;
mod model;

pub use model::StockLevel;

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, documents, drafts, outbox, Store};
use fundi_sync::access::may_append_stock;
use fundi_sync::{ids, Extra, LedgerEntry};
use std::collections::BTreeMap;

impl Store {
    /// Record a stock movement at the depot (depot staff): `delta` units in (or out, negative).
    pub fn record_stock(&self, product_id: &str, delta: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            let (_, role) = account::db::me(tx)?;
            may_append_stock(role).map_err(Error::Rejected)?;
            let entry = LedgerEntry {
                id: ids::new_id(),
                product_id: product_id.to_string(),
                delta,
                reason: reason.to_string(),
                hlc: stamp(tx)?,
                extra: Extra::new(),
            };
            entry.check().map_err(Error::Rejected)?;
            outbox::enqueue_entry(tx, entry)
        })
    }

    /// Stock at the depot per product: the sum of the depot's entries and this phone's pending ones.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        self.read(|c| {
            let mut sums: BTreeMap<String, i64> = db::sums(c)?;
            for m in outbox::pending(c, usize::MAX >> 1)? {
                if let Some(e) = m.entry {
                    *sums.entry(e.product_id).or_insert(0) += e.delta;
                }
            }
            let mut out = vec![];
            for (product_id, quantity) in sums {
                let title = match drafts::db::title(c, &product_id)? {
                    Some(t) => Some(t),
                    None => documents::db::draft_title(c, &product_id)?,
                };
                out.push(StockLevel { product_id, title, quantity });
            }
            Ok(out)
        })
    }
}
