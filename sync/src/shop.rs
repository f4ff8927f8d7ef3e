//! The shop order webhook (issue 15 item 3, ADR 0026): what a hosted shop sends the depot when a
//! shopper buys, how it signs it, and what the depot answers. A delivery is
//! `POST /v1/shop/orders` with three headers: the shop's id ([`SHOP_HEADER`]), the time it was
//! signed in unix seconds ([`TIMESTAMP_HEADER`]), and `sha256=` followed by the lowercase hex of
//! HMAC-SHA256 keyed with the shop's secret over `"<timestamp>.<raw body>"`
//! ([`SIGNATURE_HEADER`]). Pure: the depot checks with the very functions a shop (or a test)
//! signs with.

use crate::dates::Day;
use crate::identity::{hex, unhex};
use crate::limits::{SHOP_ORDER_ID_MAX_CHARS, SHOP_ORDER_LINES_MAX, SHOP_REPLAY_WINDOW_SECS};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The shop's id, as `fundi-depot shop add` printed it.
pub const SHOP_HEADER: &str = "x-fundi-shop";
/// When the delivery was signed: unix seconds, in decimal digits.
pub const TIMESTAMP_HEADER: &str = "x-fundi-timestamp";
/// `sha256=<64 lowercase hex digits>`.
pub const SIGNATURE_HEADER: &str = "x-fundi-signature";
const SIGNATURE_PREFIX: &str = "sha256=";

/// The `source` of a replenishment: the order that asks an artisan to make again the pieces the
/// depot sold from its stock (its `external_ref` is the id of the order that sold them). It ends
/// in stock (`stocked`), never with a buyer: the depot refuses to ship it.
pub const REPLENISH_SOURCE: &str = "replenish";

/// A shop order as the shop sends it. Members the depot does not know (a shopper's name or
/// address, say) are ignored and never stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShopOrder {
    /// The shop's own id of the order: the same id delivered again creates nothing new.
    pub order_id: String,
    pub lines: Vec<ShopOrderLine>,
    /// The day the shop needs the pieces at the depot, `YYYY-MM-DD` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShopOrderLine {
    /// A product on sale (`catalog::ProductBody::is_on_sale`).
    pub product_id: String,
    pub quantity: u32,
}

impl ShopOrder {
    /// Read a delivery's body (JSON); why not, if it cannot be read.
    pub fn parse(body: &[u8]) -> Result<ShopOrder, String> {
        serde_json::from_slice(body).map_err(|e| format!("shop order JSON: {e}"))
    }

    /// What is checked of the order as a whole (each line is checked as an imported order's row
    /// is, by the depot): its id, how many lines it has, its due date.
    pub fn check(&self) -> Result<(), String> {
        let id = &self.order_id;
        if id.trim().is_empty() || id.chars().count() > SHOP_ORDER_ID_MAX_CHARS || id.chars().any(char::is_control) {
            return Err(format!("order_id: 1 to {SHOP_ORDER_ID_MAX_CHARS} printable characters, not blank"));
        }
        if self.lines.is_empty() || self.lines.len() > SHOP_ORDER_LINES_MAX {
            return Err(format!("an order has 1 to {SHOP_ORDER_LINES_MAX} lines"));
        }
        if let Some(due) = &self.due_date {
            Day::parse(due).map_err(|e| format!("due_date {e}"))?;
        }
        Ok(())
    }

    /// The reference of line `line` (from 1) among the orders the depot makes of it.
    pub fn line_ref(&self, line: usize) -> String {
        format!("{}#{line}", self.order_id.trim())
    }
}

/// What the depot answers a shop order with: one order per line (the same ids however often the
/// order is delivered).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShopOrderAnswer {
    pub shop_order_id: String,
    pub orders: Vec<ShopOrderLineAnswer>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShopOrderLineAnswer {
    /// The line's position in the order, from 1.
    pub line: u32,
    pub product_id: String,
    pub quantity: u32,
    /// The depot's order for this line.
    pub order_id: String,
    /// Sold from the pieces the depot holds (ready to ship), rather than made to order.
    pub from_stock: bool,
}

/// Why a line of a shop order cannot be ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRefusal {
    /// No product has this id.
    UnknownProduct,
    /// The product is not on sale (awaiting a price, or taken off sale).
    NotOnSale,
    /// The order this line makes breaks a rule every order keeps (quantity or price out of
    /// range, say): the detail says which, as an import's row would.
    Invalid,
}

impl LineRefusal {
    pub const ALL: [LineRefusal; 3] = [LineRefusal::UnknownProduct, LineRefusal::NotOnSale, LineRefusal::Invalid];
    pub fn code(self) -> &'static str {
        match self {
            LineRefusal::UnknownProduct => "unknown_product",
            LineRefusal::NotOnSale => "not_on_sale",
            LineRefusal::Invalid => "invalid",
        }
    }
}

/// A refused line, as the 422 answer lists it (every refused line, and nothing is created).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShopLineError {
    pub line: u32,
    pub product_id: String,
    /// A [`LineRefusal`] code.
    pub code: String,
    pub detail: String,
}

/// The signature header of a delivery of `body` signed at `timestamp` (its header's text) with
/// the shop's `secret` (as `fundi-depot shop add` printed it).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("{SIGNATURE_PREFIX}{}", hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The signature's hex digits, if the header is one as [`sign`] writes it (exactly: one
/// signature has one spelling, so a replay cannot pass for new by its letters' case).
pub fn parse_signature(header: &str) -> Option<&str> {
    let digits = header.strip_prefix(SIGNATURE_PREFIX)?;
    (digits.len() == 64 && digits.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(digits)
}

/// Whether `signature` (the header's text) is the shop's over `timestamp` and `body`, compared
/// in constant time.
pub fn signature_matches(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(claimed) = parse_signature(signature).and_then(unhex) else { return false };
    mac(secret, timestamp, body).verify_slice(&claimed).is_ok()
}

/// A timestamp header's unix seconds: 1 to 12 decimal digits and nothing else.
pub fn parse_timestamp(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether a delivery signed at `timestamp_s` may be taken at `now_ms` (the depot's wall clock):
/// within [`SHOP_REPLAY_WINDOW_SECS`] of it, either way.
pub fn within_window(timestamp_s: u64, now_ms: u64) -> bool {
    (now_ms / 1000).abs_diff(timestamp_s) <= SHOP_REPLAY_WINDOW_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_only_its_secret_timestamp_and_body() {
        let sig = sign("s3cret", "1700000000", b"{\"a\":1}");
        assert!(parse_signature(&sig).is_some(), "{sig}");
        assert!(signature_matches("s3cret", "1700000000", b"{\"a\":1}", &sig));
        assert!(!signature_matches("s3cret!", "1700000000", b"{\"a\":1}", &sig), "another secret");
        assert!(!signature_matches("s3cret", "1700000001", b"{\"a\":1}", &sig), "another timestamp");
        assert!(!signature_matches("s3cret", "1700000000", b"{\"a\":2}", &sig), "another body");
        assert!(!signature_matches("s3cret", "1700000000", b"{\"a\":1} ", &sig), "a byte more");
        // The timestamp and the body are told apart by the dot.
        assert_ne!(sign("k", "17", b"0.x"), sign("k", "170", b".x"));
    }

    /// The signature pinned by another implementation (Python's `hmac`):
    /// `hmac.new(b"s3cret", b'1700000000.{"order_id":"W-1"}', hashlib.sha256).hexdigest()`.
    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        assert_eq!(
            sign("s3cret", "1700000000", br#"{"order_id":"W-1"}"#),
            "sha256=4578d00d86311359bd0cacf499d9d2042caf08a1a52e002066a852c95eb3ce39"
        );
    }

    #[test]
    fn a_signature_has_one_spelling() {
        let sig = sign("k", "1", b"x");
        for other in [sig.to_uppercase(), sig.replace("sha256=", "SHA256="), format!("{sig}0"), sig[..sig.len() - 1].to_string()]
        {
            assert_eq!(parse_signature(&other), None, "{other}");
            assert!(!signature_matches("k", "1", b"x", &other), "{other}");
        }
        let upper_hex = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
        assert!(!signature_matches("k", "1", b"x", &upper_hex), "upper-case hex is not the signature's spelling");
    }

    #[test]
    fn timestamps_are_digits_within_the_window() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000));
        for bad in ["", "+17", "-1", "17.0", " 17", "1e9", "1234567890123"] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        let now_ms = 1_700_000_000_000;
        assert!(within_window(1_700_000_000, now_ms));
        assert!(within_window(1_700_000_000 - SHOP_REPLAY_WINDOW_SECS, now_ms));
        assert!(within_window(1_700_000_000 + SHOP_REPLAY_WINDOW_SECS, now_ms));
        assert!(!within_window(1_700_000_000 - SHOP_REPLAY_WINDOW_SECS - 1, now_ms));
        assert!(!within_window(1_700_000_000 + SHOP_REPLAY_WINDOW_SECS + 1, now_ms));
        assert!(!within_window(0, now_ms));
    }

    #[test]
    fn an_order_is_checked_as_a_whole() {
        let line = ShopOrderLine { product_id: "p".into(), quantity: 1 };
        let order = |id: &str, lines: usize, due: Option<&str>| ShopOrder {
            order_id: id.into(),
            lines: vec![line.clone(); lines],
            due_date: due.map(String::from),
        };
        assert_eq!(order("W-1", 1, Some("2026-12-24")).check(), Ok(()));
        assert_eq!(order(&"x".repeat(SHOP_ORDER_ID_MAX_CHARS), SHOP_ORDER_LINES_MAX, None).check(), Ok(()));
        for bad in [
            order("", 1, None),
            order("  ", 1, None),
            order("a\u{7}b", 1, None),
            order(&"x".repeat(SHOP_ORDER_ID_MAX_CHARS + 1), 1, None),
            order("W-1", 0, None),
            order("W-1", SHOP_ORDER_LINES_MAX + 1, None),
            order("W-1", 1, Some("2026-02-30")),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        // The longest id with the highest line number is a valid order reference (64 at most).
        let longest = order(&"x".repeat(SHOP_ORDER_ID_MAX_CHARS), 1, None).line_ref(SHOP_ORDER_LINES_MAX);
        assert!(longest.chars().count() <= 64, "{longest}");
    }

    #[test]
    fn unknown_members_are_ignored_and_a_wrong_type_is_refused() {
        let o = ShopOrder::parse(
            br#"{"order_id":"W-1","lines":[{"product_id":"p","quantity":2,"sku":"x"}],"customer":{"name":"Ann"}}"#,
        )
        .unwrap();
        assert_eq!(o.lines, vec![ShopOrderLine { product_id: "p".into(), quantity: 2 }]);
        assert!(!serde_json::to_string(&o).unwrap().contains("Ann"), "what is not known is not kept");
        for bad in [
            &br#"{"order_id":"W-1","lines":[{"product_id":"p","quantity":-1}]}"#[..],
            b"{\"order_id\":1,\"lines\":[]}",
            b"[]",
            b"",
        ] {
            assert!(ShopOrder::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
