//! Money as integer minor units with a currency, never as floats.
//!
//! Kenyan shillings have 100 cents, but prices are shown in whole shillings when the cents are
//! zero ("KSh 1,250"), as shops and M-Pesa receipts do. Formatting and parsing live here, not in
//! Kotlin, so that the phone, the depot and the tests agree to the cent.
//! See `docs/adr/0004-money-minor-units.md`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Currency {
    Kes,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Kes => "KES",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "KES" => Some(Currency::Kes),
            _ => None,
        }
    }
    /// Minor units per major unit.
    pub fn minor_per_major(self) -> i64 {
        match self {
            Currency::Kes => 100,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn kes_minor(minor: i64) -> Self {
        Money { minor, currency: Currency::Kes }
    }
}

/// The language a user reads the app in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    Swahili,
}

/// "KSh 1,250" / "KSh 1,250.50" (Kenya writes both languages' prices with the same symbol and
/// separators; the language parameter is there so the rule lives in one place if that changes).
pub fn format_money(m: Money, _lang: Language) -> String {
    let per = m.currency.minor_per_major();
    let sign = if m.minor < 0 { "-" } else { "" };
    let abs = m.minor.unsigned_abs();
    let major = abs / per as u64;
    let cents = abs % per as u64;
    let grouped = group_thousands(major);
    let symbol = match m.currency {
        Currency::Kes => "KSh",
    };
    if cents == 0 {
        format!("{sign}{symbol} {grouped}")
    } else {
        format!("{sign}{symbol} {grouped}.{cents:02}")
    }
}

/// A whole number with its thousands separated by commas: "1,250,000".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseMoneyError {
    #[error("empty amount")]
    Empty,
    #[error("not an amount")]
    NotANumber,
    #[error("more than two decimal places")]
    TooPrecise,
    #[error("amount too large")]
    TooLarge,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_money(*self, Language::English))
    }
}

/// Parse what an artisan types into a price field: "1250", "1,250", "1 250.5", "KSh 1,250.50".
/// Returns minor units. Negative amounts are not prices and are refused as not a number.
pub fn parse_kes(input: &str) -> Result<i64, ParseMoneyError> {
    let trimmed = input.trim();
    let body = trimmed
        .strip_prefix("KSh")
        .or_else(|| trimmed.strip_prefix("KES"))
        .or_else(|| trimmed.strip_prefix("Ksh"))
        .unwrap_or(trimmed)
        .trim();
    let cleaned: String = body.chars().filter(|c| *c != ',' && *c != ' ' && *c != '\u{a0}').collect();
    if cleaned.is_empty() {
        return Err(ParseMoneyError::Empty);
    }
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(ParseMoneyError::NotANumber);
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(ParseMoneyError::NotANumber);
    }
    if frac.len() > 2 {
        return Err(ParseMoneyError::TooPrecise);
    }
    let major: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| ParseMoneyError::TooLarge)? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().unwrap_or(0) * 10,
        _ => frac.parse::<i64>().unwrap_or(0),
    };
    major.checked_mul(100).and_then(|m| m.checked_add(cents)).ok_or(ParseMoneyError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_and_fractional_shillings() {
        let f = |m| format_money(Money::kes_minor(m), Language::English);
        assert_eq!(f(0), "KSh 0");
        assert_eq!(f(125_000), "KSh 1,250");
        assert_eq!(f(125_050), "KSh 1,250.50");
        assert_eq!(f(99), "KSh 0.99");
        assert_eq!(f(12_345_678_900), "KSh 123,456,789");
        assert_eq!(f(-5_000), "-KSh 50");
        assert_eq!(format_money(Money::kes_minor(100_000), Language::Swahili), "KSh 1,000");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse_kes("1250"), Ok(125_000));
        assert_eq!(parse_kes(" 1,250 "), Ok(125_000));
        assert_eq!(parse_kes("KSh 1,250.5"), Ok(125_050));
        assert_eq!(parse_kes("1 250.05"), Ok(125_005));
        assert_eq!(parse_kes(".5"), Ok(50));
        assert_eq!(parse_kes(""), Err(ParseMoneyError::Empty));
        assert_eq!(parse_kes("KSh"), Err(ParseMoneyError::Empty));
        assert_eq!(parse_kes("12a"), Err(ParseMoneyError::NotANumber));
        assert_eq!(parse_kes("-5"), Err(ParseMoneyError::NotANumber));
        assert_eq!(parse_kes("1.234"), Err(ParseMoneyError::TooPrecise));
        assert_eq!(parse_kes("99999999999999999999"), Err(ParseMoneyError::TooLarge));
    }

    #[test]
    fn format_then_parse_is_identity() {
        for m in [1, 50, 100, 125_050, 987_654_321] {
            assert_eq!(parse_kes(&format_money(Money::kes_minor(m), Language::English)), Ok(m));
        }
    }
}
