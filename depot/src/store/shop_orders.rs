//! A shop's order made into the depot's orders (issue 15 item 3, ADR 0026). A delivery is checked
//! (its size, its shop, its signature over timestamp and body, the replay window, a replay) and
//! read; then, in one transaction, each line becomes an order exactly as an imported row does
//! (`orders::check_row`, `orders::create`; source: the shop's id, reference: the shop's order id
//! and the line's number, price: the artisan's approved price times the quantity). A line the
//! depot holds enough pieces for is sold from stock: the order starts at the depot, checked and
//! hers, the pieces leave the stock ledger, and a replenishment asks her to make them again
//! (`fundi_sync::shop::REPLENISH_SOURCE`). Any other line is made to order, for operations to
//! assign. Each line's order keeps what the shop sold it for (`margins::record_sale`: the
//! platform's margin on delivery, ADR 0027); a replenishment has no sale. The same shop order
//! delivered again gets the first answer and creates nothing. Every delivery's outcome is
//! recorded for operations (`shops::record_delivery`).

use super::orders::{self, NewOrder, Start};
use super::{margins, products, shops, stock, ApiError, Db};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::limits::{SHOP_ORDER_MAX_BYTES, SHOP_REPLAY_WINDOW_SECS};
use fundi_sync::shop::{
    parse_signature, parse_timestamp, signature_matches, within_window, LineRefusal, ShopLineError, ShopOrder, ShopOrderAnswer,
    ShopOrderLineAnswer, REPLENISH_SOURCE,
};

/// The reason of the stock movement of pieces sold from stock.
pub const SOLD_REASON: &str = "sold";

/// One delivery as it came: its signature headers' text (if sent and readable), whether its
/// body was compressed, and its body (or why it could not be read).
pub struct Delivery<'a> {
    pub shop: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// Sent with a `Content-Encoding` other than `identity`.
    pub encoded: bool,
    pub body: Result<&'a [u8], ApiError>,
}

/// Why a delivery was refused: as a whole, or for some of its lines (422, each refused line
/// listed; nothing created).
#[derive(Clone, Debug, PartialEq)]
pub enum Refused {
    Whole(ApiError),
    Lines { detail: String, lines: Vec<ShopLineError> },
}

impl Refused {
    pub fn status(&self) -> u16 {
        match self {
            Refused::Whole(e) => e.status,
            Refused::Lines { .. } => 422,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Refused::Whole(e) => e.code,
            Refused::Lines { .. } => "invalid",
        }
    }
}

/// Take delivery `d` at `now_ms` (the depot's wall clock): the orders made of it, or why not.
pub fn deliver(db: &Db, d: &Delivery<'_>, now_ms: u64) -> Result<ShopOrderAnswer, Refused> {
    let mut lines = None;
    let mut shop_order_id = None;
    let refused = match take(db, d, now_ms, &mut lines, &mut shop_order_id) {
        Ok(answer) => return Ok(answer),
        Err(e) => match lines {
            Some(lines) => Refused::Lines { detail: e.detail, lines },
            None => Refused::Whole(e),
        },
    };
    let detail = match &refused {
        Refused::Lines { detail, lines } => {
            let each: Vec<String> = lines.iter().map(|l| format!("line {}: {}: {}", l.line, l.code, l.detail)).collect();
            format!("{detail}: {}", each.join("; "))
        }
        Refused::Whole(e) => e.detail.clone(),
    };
    let outcome = shops::Delivery {
        at_ms: now_ms as i64,
        shop_id: d.shop.unwrap_or_default().to_string(),
        shop_order_id,
        status: refused.status(),
        code: refused.code().to_string(),
        detail,
    };
    // The refusal stands whether or not it could be recorded (a full disk, say).
    if let Err(e) = db.write(|tx| shops::record_delivery(tx, &outcome)) {
        eprintln!("recording a refused shop delivery failed: {e}");
    }
    Err(refused)
}

/// The checks and the orders, in one transaction. A refusal of lines leaves them in `lines`;
/// the order's id, once read, is left in `shop_order_id`.
fn take(
    db: &Db,
    d: &Delivery<'_>,
    now_ms: u64,
    lines: &mut Option<Vec<ShopLineError>>,
    shop_order_id: &mut Option<String>,
) -> Result<ShopOrderAnswer, ApiError> {
    let body = d.body.clone()?;
    if body.len() > SHOP_ORDER_MAX_BYTES {
        return Err(ApiError::too_large(format!("a shop order is at most {SHOP_ORDER_MAX_BYTES} bytes")));
    }
    let (Some(shop), Some(timestamp), Some(signature)) = (d.shop, d.timestamp, d.signature) else {
        return Err(ApiError::bad_signature(
            "a delivery names its shop, timestamp and signature (X-Fundi-Shop, X-Fundi-Timestamp, X-Fundi-Signature)",
        ));
    };
    let signed_at =
        parse_timestamp(timestamp).ok_or_else(|| ApiError::bad_signature("X-Fundi-Timestamp: unix seconds, in digits"))?;
    let digits = parse_signature(signature)
        .ok_or_else(|| ApiError::bad_signature("X-Fundi-Signature: sha256= and 64 lowercase hex digits"))?;
    let hlc = db.now();
    db.write(|tx| {
        let secret = shops::secret(tx, shop)?;
        if !signature_matches(&secret, timestamp, body, signature) {
            return Err(ApiError::bad_signature("the signature is not the shop's over this timestamp and body"));
        }
        if !within_window(signed_at, now_ms) {
            return Err(ApiError::timestamp_outside_window(format!(
                "signed at {signed_at}: more than {SHOP_REPLAY_WINDOW_SECS} s from the depot's clock ({})",
                now_ms / 1000
            )));
        }
        if shops::taken_before(tx, shop, digits)? {
            return Err(ApiError::replayed());
        }
        if d.encoded {
            return Err(ApiError::malformed("a shop order is sent as it was signed: not compressed"));
        }
        let mut order = ShopOrder::parse(body).map_err(ApiError::malformed)?;
        *shop_order_id = Some(order.order_id.clone());
        order.check().map_err(|e| ApiError::invalid(format!("shop order: {e}")))?;
        // Kept trimmed, as an imported order's reference is.
        order.order_id = order.order_id.trim().to_string();
        let answer = match answered_before(tx, shop, &order)? {
            Some(answer) => answer,
            None => match make_orders(tx, shop, &order, hlc, now_ms)? {
                Ok(answer) => answer,
                Err(refused) => {
                    let detail = format!("{} of {} lines cannot be ordered", refused.len(), order.lines.len());
                    *lines = Some(refused);
                    return Err(ApiError::invalid(detail));
                }
            },
        };
        shops::remember(tx, shop, digits, now_ms)?;
        let outcome = shops::Delivery {
            at_ms: now_ms as i64,
            shop_id: shop.to_string(),
            shop_order_id: Some(order.order_id.clone()),
            status: 200,
            code: "ok".into(),
            detail: format!("{} orders", answer.orders.len()),
        };
        shops::record_delivery(tx, &outcome)?;
        Ok(answer)
    })
}

/// The answer given when this shop order was made into orders before: the same, if it is the
/// same order; a `conflict` if it is another under the same id.
fn answered_before(tx: &Tx, shop: &str, order: &ShopOrder) -> Result<Option<ShopOrderAnswer>, ApiError> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT request, answer FROM shop_orders WHERE shop_id = ?1 AND shop_order_id = ?2",
            [shop, &order.order_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((request, answer)) = row else { return Ok(None) };
    if request != canonical(order) {
        return Err(ApiError::conflict(format!(
            "shop order {} was delivered before with other lines or due date: a changed order needs a new id",
            order.order_id
        )));
    }
    serde_json::from_str(&answer).map(Some).map_err(|e| ApiError::internal(format!("stored shop answer: {e}")))
}

fn canonical(order: &ShopOrder) -> String {
    serde_json::to_string(order).expect("shop orders serialize")
}

/// Check every line, then (if none is refused) make each into an order, all in `tx`.
fn make_orders(
    tx: &Tx,
    shop: &str,
    order: &ShopOrder,
    hlc: Timestamp,
    now_ms: u64,
) -> Result<Result<ShopOrderAnswer, Vec<ShopLineError>>, ApiError> {
    let mut rows = vec![];
    let mut refused = vec![];
    for (i, line) in order.lines.iter().enumerate() {
        let n = i + 1;
        let refuse = |why: LineRefusal, detail: String| ShopLineError {
            line: n as u32,
            product_id: line.product_id.clone(),
            code: why.code().into(),
            detail,
        };
        let Some(product) = products::get(tx, &line.product_id)? else {
            refused.push(refuse(LineRefusal::UnknownProduct, "no such product".into()));
            continue;
        };
        let (true, Some(shop_price), Some(currency)) =
            (product.is_on_sale(), product.shop_price_minor, product.shop_currency.clone())
        else {
            refused.push(refuse(LineRefusal::NotOnSale, format!("the product is not on sale ({})", product.listing)));
            continue;
        };
        // What the shop sold the line for (kept by the depot, not on the order: ADR 0027).
        let sale = margins::Sale {
            shop_id: shop.to_string(),
            price_minor: shop_price.saturating_mul(i64::from(line.quantity)),
            currency,
            sold_day: Day::of_ms(now_ms),
        };
        let row = NewOrder {
            source: shop.to_string(),
            external_ref: order.line_ref(n),
            product: product.title.clone(),
            quantity: line.quantity,
            // Her approved price for each piece (what she earns when they are delivered).
            price_minor: product.price_minor.saturating_mul(i64::from(line.quantity)),
            artisan_id: None,
            due_date: order.due_date.clone(),
            product_id: Some(line.product_id.clone()),
        };
        match orders::check_row(tx, &row) {
            Ok(()) => rows.push((n, product.owner, row, sale)),
            Err(e) => refused.push(refuse(LineRefusal::Invalid, e.detail)),
        }
    }
    if !refused.is_empty() {
        return Ok(Err(refused));
    }
    let mut held = stock::held(tx)?;
    let mut answer = ShopOrderAnswer { shop_order_id: order.order_id.clone(), orders: vec![] };
    for (n, artisan, mut row, sale) in rows {
        let product_id = row.product_id.clone().unwrap_or_default();
        let quantity = i64::from(row.quantity);
        let held_now = held.entry(product_id.clone()).or_default();
        let from_stock = *held_now >= quantity;
        if from_stock {
            *held_now -= quantity;
            row.artisan_id = Some(artisan.clone());
        }
        let start = if from_stock { Start::FromStock } else { Start::ToMake };
        let id = orders::create(tx, &row, start, hlc)?.ok_or_else(|| {
            ApiError::conflict(format!("order {} of this shop was imported already, not by its webhook", row.external_ref))
        })?;
        margins::record_sale(tx, &id, &sale)?;
        if from_stock {
            stock::post_movement(tx, &artisan, &stock::sold_id(&id), &product_id, -quantity, SOLD_REASON, hlc, shop, Some(&id))?;
            let replenish = NewOrder {
                source: REPLENISH_SOURCE.into(),
                // Tied to the order that sold the pieces: one replenishment per sale.
                external_ref: id.clone(),
                artisan_id: Some(artisan),
                due_date: None,
                ..row.clone()
            };
            orders::create(tx, &replenish, Start::ToMake, hlc)?;
        }
        answer.orders.push(ShopOrderLineAnswer { line: n as u32, product_id, quantity: row.quantity, order_id: id, from_stock });
    }
    tx.execute(
        "INSERT INTO shop_orders (shop_id, shop_order_id, request, answer, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            shop,
            order.order_id,
            canonical(order),
            serde_json::to_string(&answer).expect("answers serialize"),
            now_ms as i64
        ],
    )?;
    let from_stock = answer.orders.iter().filter(|o| o.from_stock).count();
    let detail = format!("{from_stock} lines from stock, {} made to order", answer.orders.len() - from_stock);
    super::console::audit(tx, shop, "shop.order", Some(&order.order_id), Some(&detail))?;
    Ok(Ok(answer))
}
