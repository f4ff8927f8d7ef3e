//! Shops that send orders to the depot by the webhook (issue 15 item 3, ADR 0026): each with an
//! id and a secret to sign its deliveries with (kept as it is: the depot recomputes every
//! signature with it), the signatures taken while they could still be replayed, and the outcome
//! of every delivery, for operations to see a shop's refused ones. Operations add, list and
//! revoke shops from the command line (`fundi-depot shop`) or the console's Shops page.

use super::accounts::Caller;
use super::{now_ms, random_secret, ApiError};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::limits::{SHOP_DELIVERIES_PER_MINUTE, SHOP_NAME_MAX_CHARS, SHOP_REFUSALS_PER_MINUTE, SHOP_REPLAY_WINDOW_SECS};
use fundi_sync::{ids, Role};
use serde::Serialize;

/// Deliveries kept for operations (the latest; older ones are dropped as new ones come).
pub const DELIVERIES_KEPT: i64 = 10_000;
/// A delivery's detail as kept, in characters.
const DETAIL_MAX_CHARS: usize = 300;
/// A shop id as a request named it, as kept, in characters.
const NAMED_SHOP_MAX_CHARS: usize = 64;

/// How many shop deliveries the webhook takes: refused ones per client address and taken ones per
/// shop, per minute (`serve --shop-refusals-per-minute`, `--shop-deliveries-per-minute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShopRates {
    pub refusals_per_minute: u32,
    pub deliveries_per_minute: u32,
}

impl Default for ShopRates {
    fn default() -> Self {
        ShopRates { refusals_per_minute: SHOP_REFUSALS_PER_MINUTE, deliveries_per_minute: SHOP_DELIVERIES_PER_MINUTE }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shop {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// A shop just added, with its secret: shown this once.
#[derive(Clone, Debug, Serialize)]
pub struct NewShop {
    pub id: String,
    pub name: String,
    pub secret: String,
}

fn operations_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("operations only"));
    }
    Ok(())
}

/// Add a shop named `name` (operations only, audited): its id and secret.
pub fn add(tx: &Tx, caller: &Caller, name: &str) -> Result<NewShop, ApiError> {
    operations_only(caller)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > SHOP_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("a shop's name is 1 to {SHOP_NAME_MAX_CHARS} printable characters")));
    }
    let shop = NewShop { id: ids::new_id(), name: name.to_string(), secret: random_secret() };
    tx.execute(
        "INSERT INTO shops (id, name, secret, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![shop.id, shop.name, shop.secret, now_ms() as i64],
    )?;
    super::console::audit(tx, &caller.account_id, "shop.add", Some(&shop.id), Some(name))?;
    Ok(shop)
}

/// Every shop, oldest first (operations only). Secrets are not listed.
pub fn list(tx: &Tx, caller: &Caller) -> Result<Vec<Shop>, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached("SELECT id, name, created_ms, revoked_ms FROM shops ORDER BY created_ms, id")?;
    let rows = q.query_map([], |r| Ok(Shop { id: r.get(0)?, name: r.get(1)?, created_ms: r.get(2)?, revoked_ms: r.get(3)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revoke shop `id` (operations only, audited): its deliveries are refused from now on. A shop
/// revoked already stays as it was.
pub fn revoke(tx: &Tx, caller: &Caller, id: &str) -> Result<Shop, ApiError> {
    operations_only(caller)?;
    let changed =
        tx.execute("UPDATE shops SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL", params![id, now_ms() as i64])?;
    if changed > 0 {
        super::console::audit(tx, &caller.account_id, "shop.revoke", Some(id), None)?;
    }
    list(tx, caller)?.into_iter().find(|s| s.id == id).ok_or_else(|| ApiError::not_found("no such shop"))
}

/// The secret to check a delivery of shop `id` with: `unauthorized` when there is no such
/// shop, `revoked` when operations revoked it.
pub fn secret(tx: &Tx, id: &str) -> Result<String, ApiError> {
    let row: Option<(String, Option<i64>)> =
        tx.query_row("SELECT secret, revoked_ms FROM shops WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    match row {
        None => Err(ApiError::unknown_shop()),
        Some((_, Some(_))) => Err(ApiError::shop_revoked()),
        Some((secret, None)) => Ok(secret),
    }
}

/// Whether shop `shop`'s delivery with this signature was taken already (and may still be
/// inside the replay window).
pub fn taken_before(tx: &Tx, shop: &str, signature: &str) -> Result<bool, ApiError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM shop_signatures WHERE shop_id = ?1 AND signature = ?2)",
        [shop, signature],
        |r| r.get(0),
    )?)
}

/// Keep the signature of a delivery taken at `now_ms`, in its transaction. A signature is kept
/// twice the window: a timestamp up to a window ahead stays inside it until a window after
/// that; older ones are dropped here.
pub fn remember(tx: &Tx, shop: &str, signature: &str, now_ms: u64) -> Result<(), ApiError> {
    let horizon = now_ms as i64 - 2 * 1000 * SHOP_REPLAY_WINDOW_SECS as i64;
    tx.execute("DELETE FROM shop_signatures WHERE seen_ms < ?1", [horizon])?;
    tx.execute(
        "INSERT INTO shop_signatures (shop_id, signature, seen_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![shop, signature, now_ms as i64],
    )?;
    Ok(())
}

/// The outcome of one delivery, as operations see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    pub at_ms: i64,
    /// The shop the request named (maybe none that exists).
    pub shop_id: String,
    pub shop_order_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// `ok`, or the error code answered.
    pub code: String,
    pub detail: String,
}

/// Text as kept: control characters left out, cut to `max` characters.
fn kept(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Record a delivery's outcome (keeping the latest [`DELIVERIES_KEPT`]).
pub fn record_delivery(tx: &Tx, d: &Delivery) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO shop_deliveries (at_ms, shop_id, shop_order_id, status, code, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            d.at_ms,
            kept(&d.shop_id, NAMED_SHOP_MAX_CHARS),
            d.shop_order_id.as_deref().map(|o| kept(o, NAMED_SHOP_MAX_CHARS)),
            d.status,
            d.code,
            kept(&d.detail, DETAIL_MAX_CHARS)
        ],
    )?;
    tx.execute("DELETE FROM shop_deliveries WHERE id <= (SELECT MAX(id) FROM shop_deliveries) - ?1", [DELIVERIES_KEPT])?;
    Ok(())
}

/// The latest deliveries, newest first (at most `limit`; operations only): of shop `shop` only
/// when given, the refused ones only when `refused_only`.
pub fn deliveries(
    tx: &Tx,
    caller: &Caller,
    shop: Option<&str>,
    refused_only: bool,
    limit: usize,
) -> Result<Vec<Delivery>, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached(
        "SELECT at_ms, shop_id, shop_order_id, status, code, detail FROM shop_deliveries
         WHERE (CAST(?1 AS TEXT) IS NULL OR shop_id = ?1) AND (?2 = 0 OR code != 'ok') ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = q.query_map(params![shop, refused_only, limit as i64], |r| {
        Ok(Delivery {
            at_ms: r.get(0)?,
            shop_id: r.get(1)?,
            shop_order_id: r.get(2)?,
            status: r.get(3)?,
            code: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    fn ops() -> Caller {
        Caller::local_operator()
    }

    #[test]
    fn operations_add_list_and_revoke_shops_and_a_revoked_shop_has_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let staff = Caller { account_id: "s".into(), role: Role::Staff, device_id: None };
        assert_eq!(db.write(|tx| add(tx, &staff, "Shop")).unwrap_err().code, "forbidden");
        for bad in ["", "  ", "a\u{7}b", &"x".repeat(SHOP_NAME_MAX_CHARS + 1)] {
            assert_eq!(db.write(|tx| add(tx, &ops(), bad)).unwrap_err().code, "invalid", "{bad:?}");
        }
        let shop = db.write(|tx| add(tx, &ops(), " Duka ")).unwrap();
        assert_eq!(shop.name, "Duka");
        assert_eq!(db.read(|tx| secret(tx, &shop.id)).unwrap(), shop.secret);
        assert_eq!(db.read(|tx| secret(tx, "nope")).unwrap_err().code, "unauthorized");
        let listed = db.read(|tx| list(tx, &ops())).unwrap();
        assert_eq!((listed.len(), listed[0].revoked_ms), (1, None));
        let revoked = db.write(|tx| revoke(tx, &ops(), &shop.id)).unwrap();
        assert!(revoked.revoked_ms.is_some());
        assert_eq!(db.write(|tx| revoke(tx, &ops(), &shop.id)).unwrap(), revoked, "revoked once");
        assert_eq!(db.read(|tx| secret(tx, &shop.id)).unwrap_err().code, "revoked");
        assert_eq!(db.write(|tx| revoke(tx, &ops(), "nope")).unwrap_err().code, "not_found");
        let audited: i64 = db
            .read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM audit_log WHERE target = ?1", [&shop.id], |r| r.get(0))?))
            .unwrap();
        assert_eq!(audited, 2, "added and revoked, once each");
    }

    #[test]
    fn signatures_are_kept_for_twice_the_window_and_deliveries_for_the_latest_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let window_ms = 1000 * SHOP_REPLAY_WINDOW_SECS;
        let t0 = 1_800_000_000_000;
        db.write(|tx| remember(tx, "s", "a", t0)).unwrap();
        db.write(|tx| remember(tx, "s", "b", t0 + 2 * window_ms)).unwrap();
        assert!(db.read(|tx| taken_before(tx, "s", "a")).unwrap(), "kept for twice the window");
        assert!(!db.read(|tx| taken_before(tx, "t", "a")).unwrap(), "another shop's");
        db.write(|tx| remember(tx, "s", "c", t0 + 2 * window_ms + 1)).unwrap();
        assert!(!db.read(|tx| taken_before(tx, "s", "a")).unwrap(), "then dropped");
        assert!(db.read(|tx| taken_before(tx, "s", "b")).unwrap());

        let d = |i: i64| Delivery {
            at_ms: i,
            shop_id: if i % 2 == 0 { "s".into() } else { "t\u{0}\u{7}".repeat(40) },
            shop_order_id: Some(format!("W-{i}")),
            status: if i % 3 == 0 { 200 } else { 401 },
            code: if i % 3 == 0 { "ok".into() } else { "bad_signature".into() },
            detail: "x".repeat(1000),
        };
        db.write(|tx| (0..DELIVERIES_KEPT + 5).try_for_each(|i| record_delivery(tx, &d(i)))).unwrap();
        let all = db.read(|tx| deliveries(tx, &ops(), None, false, usize::MAX)).unwrap();
        assert_eq!(all.len() as i64, DELIVERIES_KEPT, "the latest only");
        assert_eq!((all[0].at_ms, all.last().unwrap().at_ms), (DELIVERIES_KEPT + 4, 5), "newest first");
        assert_eq!(all[0].detail.chars().count(), DETAIL_MAX_CHARS);
        let odd = all.iter().find(|d| d.at_ms % 2 == 1).unwrap();
        assert_eq!(odd.shop_id, "t".repeat(40), "control characters left out");
        let refused = db.read(|tx| deliveries(tx, &ops(), Some("s"), true, 10)).unwrap();
        assert!(refused.len() == 10 && refused.iter().all(|d| d.shop_id == "s" && d.code != "ok"), "{refused:?}");
        let artisan = Caller { account_id: "a".into(), role: Role::Artisan, device_id: None };
        assert_eq!(db.read(|tx| deliveries(tx, &artisan, None, false, 10)).unwrap_err().code, "forbidden");
    }
}
