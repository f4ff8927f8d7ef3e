//! The platform's margin (issue 11 item 1, ADR 0027), first its exchange rates: a shop sells
//! in its own currency (USD, EUR, GBP or KES) and the artisan is paid her price in shillings,
//! so what a sale is worth in shillings needs the rate of its day. Rates are a history per shop
//! currency from a day on (`exchange_rates`, like the commission rate's: [`super::dated`]), kept
//! exactly as ten-thousandths of a shilling per unit; KES is 1 and has no row.

use super::accounts::Caller;
use super::dated::{DatedValue, DatedValues};
use super::ApiError;
use fundi_sync::catalog::SHOP_CURRENCIES;
use fundi_sync::dates::Day;
use rusqlite::Connection;

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

/// Set what one unit of `currency` is worth in shillings from `from` on (operations only): a
/// new row of the history; a rate already set for that currency and day is refused.
pub fn set_exchange_rate(
    tx: &Connection,
    caller: &Caller,
    currency: &str,
    from: Day,
    kes_per_unit_e4: i64,
) -> Result<(), ApiError> {
    if caller.role != fundi_sync::Role::Operations {
        return Err(ApiError::forbidden("only operations set exchange rates"));
    }
    check_currency(currency)?;
    check_rate(kes_per_unit_e4)?;
    if !EXCHANGE_RATES.add(tx, Some(currency), from, kes_per_unit_e4, &caller.account_id)? {
        return Err(ApiError::conflict(format!("a {currency} rate from {from} is set already: set a rate from another day")));
    }
    Ok(())
}

/// The history of exchange rates, by currency then day (the key is the currency).
pub fn exchange_rates(tx: &Connection) -> Result<Vec<DatedValue>, ApiError> {
    EXCHANGE_RATES.all(tx)
}

/// Ten-thousandths of a shilling one unit of `currency` was worth on `day`: 1 shilling for
/// KES, else the rate in force that day, if any.
pub fn kes_per_unit_on(tx: &Connection, currency: &str, day: Day) -> Result<Option<i64>, ApiError> {
    if currency == KES {
        return Ok(Some(RATE_SCALE));
    }
    EXCHANGE_RATES.on(tx, Some(currency), day)
}

/// Refuse (409 `conflict`, naming the rate to set) a shop price in a currency without a rate
/// in force on `today`. Rates are never removed, so a product published with a rate has one on
/// every later day: every sale of it can be turned into shillings.
pub fn require_rate(tx: &Connection, currency: &str, today: Day) -> Result<(), ApiError> {
    if kes_per_unit_on(tx, currency, today)?.is_some() {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "no {currency} exchange rate is in force on {today}: set one first (fundi-depot exchange-rate --currency {currency} \
         --from {today} --kes RATE), so the platform's margin on its sales can be counted"
    )))
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
}
