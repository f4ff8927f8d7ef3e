//! Stock at the depot: a ledger of movements (received, shipped, counted), summed per product.
//! Staff record movements; everyone sees the depot's entries plus this phone's pending ones.
//! `db.rs` is the only code touching the `stock_entries` table.

pub(crate) mod db;
mod model;

pub use model::{StockLevel, StockMovement};

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, documents, drafts, outbox, Store};
use fundi_sync::access::may_append_stock;
use fundi_sync::{ids, Extra, LedgerEntry};
use std::collections::BTreeMap;

/// What the depot holds per product: the sum of the depot's entries and this phone's pending
/// ones (the stock screen's and "My products"' count).
pub(crate) fn held(c: &rusqlite::Connection) -> Result<BTreeMap<String, i64>> {
    let mut sums: BTreeMap<String, i64> = db::sums(c)?;
    for m in outbox::pending(c, usize::MAX >> 1)? {
        if let Some(e) = m.entry {
            *sums.entry(e.product_id).or_insert(0) += e.delta;
        }
    }
    Ok(sums)
}

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

    /// One product's movements at the depot, newest first: the depot's entries and this
    /// phone's pending ones.
    pub fn stock_movements(&self, product_id: &str) -> Result<Vec<StockMovement>> {
        self.read(|c| {
            let movement =
                |e: LedgerEntry, pending| StockMovement { delta: e.delta, reason: e.reason, at_ms: e.hlc.wall_ms, pending };
            let mut out: Vec<(fundi_sync::hlc::Timestamp, StockMovement)> =
                db::entries(c, product_id)?.into_iter().map(|b| (b.entry.hlc, movement(b.entry, false))).collect();
            for m in outbox::pending(c, usize::MAX >> 1)? {
                if let Some(e) = m.entry.filter(|e| e.product_id == product_id) {
                    out.push((e.hlc, movement(e, true)));
                }
            }
            out.sort_by_key(|m| std::cmp::Reverse(m.0));
            Ok(out.into_iter().map(|(_, m)| m).collect())
        })
    }

    /// Stock at the depot per product: the sum of the depot's entries and this phone's pending ones.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        self.read(|c| {
            let mut out = vec![];
            for (product_id, quantity) in held(c)? {
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

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::{Role, StockBody};

    /// A product's movements: the depot's entries and this phone's pending one, newest first;
    /// another product's are not among them.
    #[test]
    fn movements_list_the_depots_entries_and_the_pending_ones_newest_first() {
        let store = Store::open_in_memory().unwrap();
        let product = "01900000-0000-7000-8000-000000000077";
        store
            .write(|tx| {
                account::db::enroll_for_test(tx, "staff", Role::Staff)?;
                for (id, p, delta) in [("e1", product, 5), ("e2", "01900000-0000-7000-8000-000000000078", 9)] {
                    let entry = LedgerEntry {
                        id: id.into(),
                        product_id: p.into(),
                        delta,
                        reason: "received".into(),
                        hlc: stamp(tx)?,
                        extra: Extra::new(),
                    };
                    let body = StockBody { owner: "a1".into(), entry, extra: Extra::new() };
                    db::put_pulled(tx, id, &body, &serde_json::to_string(&body).unwrap())?;
                }
                Ok(())
            })
            .unwrap();
        store.record_stock(product, -2, "shipped").unwrap();
        let moves = store.stock_movements(product).unwrap();
        assert_eq!(
            moves.iter().map(|m| (m.delta, m.reason.as_str(), m.pending)).collect::<Vec<_>>(),
            vec![(-2, "shipped", true), (5, "received", false)]
        );
        assert!(moves[0].at_ms >= moves[1].at_ms);
        let level = store.stock_levels().unwrap().into_iter().find(|l| l.product_id == product).unwrap();
        assert_eq!(level.quantity, moves.iter().map(|m| m.delta).sum::<i64>());
    }
}
