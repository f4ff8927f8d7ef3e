//! The platform's margin (issue 11 item 1, ADR 0027). A shop sells in its own currency (USD,
//! EUR, GBP or KES) and the artisan is paid her price in shillings, so the margin needs what
//! the shop sold the order for and what that was worth in shillings on the day of the sale:
//! - **exchange rates** per shop currency from a day on (`exchange_rates`, a history like the
//!   commission rate's: [`super::dated`]), kept exactly as ten-thousandths of a shilling per
//!   unit; KES is 1 and has no row;
//! - **the sale** of each order made of a shop's line (`order_sales`, written by
//!   `shop_orders` in the transaction that makes the order): the shop's price a piece times
//!   the quantity, its currency, the day;
//! - **the platform ledger** (`platform_ledger`, append-only, depot-side: no phone receives it):
//!   on delivery (`money::after_order_change`), `margin:{order}` = the sale in shillings less
//!   the artisan's earning and the mentor's commission, the commission first capped at what the
//!   sale leaves over her earning; on a refund, `margin_reversal:{order}`, its exact opposite.

use super::accounts::Caller;
use super::dated::{DatedValue, DatedValues};
use super::ApiError;
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::catalog::SHOP_CURRENCIES;
use fundi_sync::dates::Day;
use std::collections::BTreeMap;

/// The currency the platform keeps its ledger in, and orders are priced in.
pub const KES: &str = "KES";
/// Digits after the point an exchange rate may have (and the scale it is kept at).
pub const RATE_DECIMALS: u32 = 4;
/// Ten-thousandths of a shilling in one shilling: the scale of `kes_per_unit_e4`.
pub const RATE_SCALE: i64 = 10_i64.pow(RATE_DECIMALS);
/// The highest exchange rate operations may set: KSh 10,000 a unit (a pound is about 170). A
/// rate typed in cents, or with the point left out, is refused rather than kept.
pub const RATE_MAX_KES_E4: i64 = 10_000 * RATE_SCALE;

/// The exchange rates' history: a rate per currency from a day on.
const EXCHANGE_RATES: DatedValues = DatedValues { table: "exchange_rates", value: "kes_per_unit_e4", key: Some("currency") };

/// Why an exchange rate cannot be set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeRateError {
    #[error("{0:?} is not a shop currency: one of USD, EUR, GBP")]
    NotAShopCurrency(String),
    #[error("KES is the ledgers' own currency: its rate is always 1")]
    KesIsOne,
    #[error("{0:?} is not a number of shillings: digits, and at most one point")]
    NotANumber(String),
    #[error("a rate has at most {RATE_DECIMALS} decimals")]
    TooManyDecimals,
    #[error("a rate is more than 0 shillings")]
    NotPositive,
    #[error("a rate is at most KSh {} a unit", RATE_MAX_KES_E4 / RATE_SCALE)]
    TooLarge,
}

impl From<ExchangeRateError> for ApiError {
    fn from(e: ExchangeRateError) -> Self {
        ApiError::invalid(e.to_string())
    }
}

/// A currency an exchange rate may be set for: a shop currency other than KES.
pub fn check_currency(currency: &str) -> Result<(), ExchangeRateError> {
    match currency {
        KES => Err(ExchangeRateError::KesIsOne),
        c if SHOP_CURRENCIES.contains(&c) => Ok(()),
        c => Err(ExchangeRateError::NotAShopCurrency(c.to_string())),
    }
}

/// Shillings a unit written as a decimal ("129.50", "129.2384", "130"), in ten-thousandths,
/// without floating point; bounded (more than 0, at most [`RATE_MAX_KES_E4`]).
pub fn parse_kes_per_unit(text: &str) -> Result<i64, ExchangeRateError> {
    let text = text.trim();
    let not_a_number = || ExchangeRateError::NotANumber(text.to_string());
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || (digits.contains('.') && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(not_a_number());
    }
    if fraction.len() > RATE_DECIMALS as usize {
        return Err(ExchangeRateError::TooManyDecimals);
    }
    // Leading zeros cannot overflow; more significant digits than a rate has are too large.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return Err(if negative { ExchangeRateError::NotPositive } else { ExchangeRateError::TooLarge });
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| not_a_number())? };
    let fraction: i64 = format!("{fraction:0<width$}", width = RATE_DECIMALS as usize).parse().map_err(|_| not_a_number())?;
    let e4 = whole * RATE_SCALE + fraction;
    check_rate(if negative { -e4 } else { e4 })
}

/// A rate in ten-thousandths within its bounds.
fn check_rate(kes_per_unit_e4: i64) -> Result<i64, ExchangeRateError> {
    match kes_per_unit_e4 {
        r if r <= 0 => Err(ExchangeRateError::NotPositive),
        r if r > RATE_MAX_KES_E4 => Err(ExchangeRateError::TooLarge),
        r => Ok(r),
    }
}

/// A rate in ten-thousandths as operations write it: "129.5000".
pub fn show_rate(kes_per_unit_e4: i64) -> String {
    format!("{}.{:04}", kes_per_unit_e4 / RATE_SCALE, kes_per_unit_e4 % RATE_SCALE)
}

/// Set what one unit of `currency` is worth in shillings from `from` on (operations only,
/// audited as `exchange_rate.set`: the command line and the console alike): a new row of the
/// history; a rate already set for that currency and day is refused.
pub fn set_exchange_rate(tx: &Tx, caller: &Caller, currency: &str, from: Day, kes_per_unit_e4: i64) -> Result<(), ApiError> {
    if caller.role != fundi_sync::Role::Operations {
        return Err(ApiError::forbidden("only operations set exchange rates"));
    }
    check_currency(currency)?;
    check_rate(kes_per_unit_e4)?;
    if !EXCHANGE_RATES.add(tx, Some(currency), from, kes_per_unit_e4, &caller.account_id)? {
        return Err(ApiError::conflict(format!("a {currency} rate from {from} is set already: set a rate from another day")));
    }
    let detail = format!("from {from}: KSh {} a unit", show_rate(kes_per_unit_e4));
    super::console::audit(tx, &caller.account_id, "exchange_rate.set", Some(currency), Some(&detail))
}

/// Operations only: the rates' history and the platform's ledger are the depot's business.
fn operations_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.role != fundi_sync::Role::Operations {
        return Err(ApiError::forbidden("operations only"));
    }
    Ok(())
}

/// The history of exchange rates, by currency then day (the key is the currency; operations only).
pub fn exchange_rates(tx: &Tx, caller: &Caller) -> Result<Vec<DatedValue>, ApiError> {
    operations_only(caller)?;
    EXCHANGE_RATES.all(tx)
}

/// Ten-thousandths of a shilling one unit of `currency` was worth on `day`: 1 shilling for
/// KES, else the rate in force that day, if any.
pub fn kes_per_unit_on(tx: &Tx, currency: &str, day: Day) -> Result<Option<i64>, ApiError> {
    if currency == KES {
        return Ok(Some(RATE_SCALE));
    }
    EXCHANGE_RATES.on(tx, Some(currency), day)
}

/// Refuse (409 `conflict`, naming the rate to set) a shop price in a currency without a rate
/// in force on `today`. Rates are never removed, so a product published with a rate has one on
/// every later day: every sale of it can be turned into shillings.
pub fn require_rate(tx: &Tx, currency: &str, today: Day) -> Result<(), ApiError> {
    if kes_per_unit_on(tx, currency, today)?.is_some() {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "no {currency} exchange rate is in force on {today}: set one first (fundi-depot exchange-rate --currency {currency} \
         --from {today} --kes RATE), so the platform's margin on its sales can be counted"
    )))
}

/// What a shop sold an order for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    pub shop_id: String,
    /// The shop's price a piece times the quantity, in minor units of `currency`.
    pub price_minor: i64,
    pub currency: String,
    pub sold_day: Day,
}

/// Record the sale of order `order_id` (once: in the transaction that makes the order).
pub fn record_sale(tx: &Tx, order_id: &str, sale: &Sale) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO order_sales (order_id, shop_id, price_minor, currency, sold_day) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![order_id, sale.shop_id, sale.price_minor, sale.currency, sale.sold_day.to_string()],
    )?;
    Ok(())
}

/// The sale of order `order_id`, if a shop sold it.
pub fn sale_of(tx: &Tx, order_id: &str) -> Result<Option<Sale>, ApiError> {
    let row: Option<(String, i64, String, String)> = tx
        .query_row("SELECT shop_id, price_minor, currency, sold_day FROM order_sales WHERE order_id = ?1", [order_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((shop_id, price_minor, currency, day)) = row else { return Ok(None) };
    let sold_day = Day::parse(&day).map_err(|e| ApiError::internal(format!("stored sale day {day:?}: {e}")))?;
    Ok(Some(Sale { shop_id, price_minor, currency, sold_day }))
}

/// A delivered sale split between the artisan, her mentor and the platform, in KES cents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Margin {
    pub sale: Sale,
    /// The rate in force on the sale's day.
    pub kes_per_unit_e4: i64,
    /// The sale in shillings, rounded down to the cent.
    pub sale_kes_minor: i64,
    pub earning_minor: i64,
    /// The mentor's commission at her rate, before the cap (0 when no one earns one).
    pub commission_at_rate_minor: i64,
    /// Her commission: at her rate, but never more than the sale leaves over the artisan's
    /// earning, and never below 0.
    pub commission_minor: i64,
    /// What the platform keeps: the sale less the earning and the commission. Below 0 when the
    /// shop sold for less than her price.
    pub margin_minor: i64,
}

impl Margin {
    /// Split `sale`, worth `kes_per_unit_e4` a unit, delivered for her `earning_minor`, with a
    /// commission of `commission_at_rate_minor` due at the mentor's rate.
    pub fn split(sale: Sale, kes_per_unit_e4: i64, earning_minor: i64, commission_at_rate_minor: i64) -> Margin {
        // Both are below 10^16 (price and rate are bounded); the quotient is rounded down.
        let sale_kes_minor = (i128::from(sale.price_minor) * i128::from(kes_per_unit_e4) / i128::from(RATE_SCALE)) as i64;
        let left_over_her_earning = sale_kes_minor.saturating_sub(earning_minor).max(0);
        let commission_minor = commission_at_rate_minor.clamp(0, left_over_her_earning);
        let margin_minor = sale_kes_minor.saturating_sub(earning_minor).saturating_sub(commission_minor);
        Margin { sale, kes_per_unit_e4, sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, margin_minor }
    }
}

/// How delivered order `order_id` splits, if a shop sold it and its currency had a rate on the
/// sale's day (else `None`: an order imported by hand has no sale; a sale without a rate is
/// listed by [`unpriced_sales`]).
pub fn margin_of(tx: &Tx, order_id: &str, earning_minor: i64, commission_at_rate_minor: i64) -> Result<Option<Margin>, ApiError> {
    let Some(sale) = sale_of(tx, order_id)? else { return Ok(None) };
    let Some(rate) = kes_per_unit_on(tx, &sale.currency, sale.sold_day)? else { return Ok(None) };
    Ok(Some(Margin::split(sale, rate, earning_minor, commission_at_rate_minor)))
}

fn margin_id(order_id: &str) -> String {
    format!("margin:{order_id}")
}

fn margin_reversal_id(order_id: &str) -> String {
    format!("margin_reversal:{order_id}")
}

/// Post the platform's margin on delivered order `order_id` (once: its id).
pub fn post_margin(tx: &Tx, order_id: &str, m: &Margin, at_ms: u64) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO platform_ledger (id, kind, order_id, amount_minor, currency, sale_minor, sale_currency,
             kes_per_unit_e4, sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, at_ms)
         VALUES (?1, 'margin', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING",
        params![
            margin_id(order_id),
            order_id,
            m.margin_minor,
            KES,
            m.sale.price_minor,
            m.sale.currency,
            m.kes_per_unit_e4,
            m.sale_kes_minor,
            m.earning_minor,
            m.commission_at_rate_minor,
            m.commission_minor,
            at_ms as i64
        ],
    )?;
    Ok(())
}

/// Reverse the margin on order `order_id`, if it has one (a refund): the exact opposite, with
/// the refund's reason and the same workings. Once.
pub fn reverse_margin(tx: &Tx, order_id: &str, reason: &str, at_ms: u64) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO platform_ledger (id, kind, order_id, amount_minor, currency, sale_minor, sale_currency,
             kes_per_unit_e4, sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, note, at_ms)
         SELECT ?1, 'margin_reversal', order_id, -amount_minor, currency, sale_minor, sale_currency, kes_per_unit_e4,
             sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, ?2, ?3
         FROM platform_ledger WHERE id = ?4 ON CONFLICT DO NOTHING",
        params![margin_reversal_id(order_id), reason, at_ms as i64, margin_id(order_id)],
    )?;
    Ok(())
}

/// One entry of the platform ledger, with its workings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlatformEntry {
    pub id: String,
    pub kind: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub sale_minor: i64,
    pub sale_currency: String,
    pub kes_per_unit_e4: i64,
    pub sale_kes_minor: i64,
    pub earning_minor: i64,
    pub commission_at_rate_minor: i64,
    pub commission_minor: i64,
    pub note: Option<String>,
    pub at_ms: i64,
}

const ENTRY_COLUMNS: &str = "id, kind, order_id, amount_minor, currency, sale_minor, sale_currency, kes_per_unit_e4, \
     sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, note, at_ms";

fn entry_of(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<PlatformEntry> {
    Ok(PlatformEntry {
        id: r.get(0)?,
        kind: r.get(1)?,
        order_id: r.get(2)?,
        amount_minor: r.get(3)?,
        currency: r.get(4)?,
        sale_minor: r.get(5)?,
        sale_currency: r.get(6)?,
        kes_per_unit_e4: r.get(7)?,
        sale_kes_minor: r.get(8)?,
        earning_minor: r.get(9)?,
        commission_at_rate_minor: r.get(10)?,
        commission_minor: r.get(11)?,
        note: r.get(12)?,
        at_ms: r.get(13)?,
    })
}

/// Every entry's amount summed per currency (saturating), and how many entries there are.
fn totals(tx: &Tx) -> Result<(BTreeMap<String, i64>, usize), ApiError> {
    let (mut totals, mut count) = (BTreeMap::new(), 0);
    tx.query_map("SELECT currency, amount_minor FROM platform_ledger", [], |r| {
        let total: &mut i64 = totals.entry(r.get::<_, String>(0)?).or_default();
        *total = total.saturating_add(r.get(1)?);
        count += 1;
        Ok(())
    })?;
    Ok((totals, count))
}

/// The platform ledger, oldest first, and its totals per currency (operations only).
pub fn platform_ledger(tx: &Tx, caller: &Caller) -> Result<(Vec<PlatformEntry>, BTreeMap<String, i64>), ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached(&format!("SELECT {ENTRY_COLUMNS} FROM platform_ledger ORDER BY seq"))?;
    let entries = q.query_map([], entry_of)?.collect::<Result<_, _>>()?;
    Ok((entries, totals(tx)?.0))
}

/// The platform ledger's latest entries, newest first, with the totals and the count of every
/// entry.
pub struct LatestEntries {
    pub entries: Vec<PlatformEntry>,
    pub totals: BTreeMap<String, i64>,
    pub count: usize,
}

/// The latest `limit` entries of the platform ledger and the totals of all (operations only):
/// what the console's Money page shows.
pub fn latest_platform_entries(tx: &Tx, caller: &Caller, limit: usize) -> Result<LatestEntries, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached(&format!("SELECT {ENTRY_COLUMNS} FROM platform_ledger ORDER BY seq DESC LIMIT ?1"))?;
    let entries = q.query_map([limit as i64], entry_of)?.collect::<Result<_, _>>()?;
    let (totals, count) = totals(tx)?;
    Ok(LatestEntries { entries, totals, count })
}

/// Sales delivered (their artisan earned) with no margin counted, because their currency had
/// no rate on the sale's day (a product published before rates were kept): (order, sale).
/// Operations only.
pub fn unpriced_sales(tx: &Tx, caller: &Caller) -> Result<Vec<(String, Sale)>, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached(
        "SELECT s.order_id FROM order_sales s
         WHERE EXISTS (SELECT 1 FROM records r WHERE r.kind = ?1 AND r.id = 'earning:' || s.order_id)
           AND NOT EXISTS (SELECT 1 FROM platform_ledger p WHERE p.id = 'margin:' || s.order_id)
         ORDER BY s.sold_day, s.order_id",
    )?;
    let ids = q.query_map([fundi_sync::Kind::Money.code()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    let mut out = vec![];
    for id in ids {
        if let Some(sale) = sale_of(tx, &id)? {
            out.push((id, sale));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_exactly_and_refused_with_their_reason() {
        let p = parse_kes_per_unit;
        assert_eq!(
            (p("129.50"), p("129.2384"), p("130"), p(" 0.0001 "), p("007.5"), p("10000")),
            (Ok(1_295_000), Ok(1_292_384), Ok(1_300_000), Ok(1), Ok(75_000), Ok(RATE_MAX_KES_E4))
        );
        use ExchangeRateError as E;
        for (text, why) in [
            ("0", E::NotPositive),
            ("0.0000", E::NotPositive),
            ("-129.50", E::NotPositive),
            ("10000.0001", E::TooLarge),
            ("99999999999999999999", E::TooLarge),
            ("129.12345", E::TooManyDecimals),
        ] {
            assert_eq!(p(text), Err(why), "{text}");
        }
        for text in ["", ".5", "5.", "1,295", "1e3", "12.3.4", "KSh 129", "+5", "--5", "١٢٩"] {
            assert_eq!(p(text), Err(E::NotANumber(text.trim().to_string())), "{text}");
        }
        assert_eq!(show_rate(1_295_000), "129.5000");
    }

    #[test]
    fn only_a_shop_currency_other_than_kes_takes_a_rate() {
        assert_eq!(check_currency("USD"), Ok(()));
        assert_eq!(check_currency("KES"), Err(ExchangeRateError::KesIsOne));
        assert_eq!(check_currency("usd"), Err(ExchangeRateError::NotAShopCurrency("usd".into())));
        assert_eq!(check_currency("JPY"), Err(ExchangeRateError::NotAShopCurrency("JPY".into())));
    }

    fn sale(price_minor: i64) -> Sale {
        Sale { shop_id: "s".into(), price_minor, currency: "USD".into(), sold_day: Day(20_000) }
    }

    #[test]
    fn the_commission_is_capped_at_what_the_sale_leaves_over_her_earning() {
        // $25.00 at KSh 129.5037: KSh 3,237.5925, down to KSh 3,237.59.
        let m = Margin::split(sale(2_500), 1_295_037, 150_000, 7_500);
        assert_eq!((m.sale_kes_minor, m.commission_minor, m.margin_minor), (323_759, 7_500, 166_259));
        // The same sale with a commission due beyond what is left: capped, the platform keeps 0.
        let m = Margin::split(sale(2_500), 1_295_037, 320_000, 16_000);
        assert_eq!((m.commission_at_rate_minor, m.commission_minor, m.margin_minor), (16_000, 3_759, 0));
        // Sold below her price: no commission, and the platform's loss is recorded.
        let m = Margin::split(sale(2_500), 1_295_037, 400_000, 20_000);
        assert_eq!((m.commission_minor, m.margin_minor), (0, -76_241));
    }
}
