//! What Daraja is given, checked before anything is sent: an amount in whole shillings (Daraja
//! takes no cents; the project keeps money in integer minor units, ADR 0004) and a receiver's
//! phone number as Daraja writes it (`2547XXXXXXXX`, 12 digits, no plus sign).

use fundi_sync::money::{Currency, Money};

/// An amount Daraja can pay: a positive number of whole Kenyan shillings. Made only from
/// [`Money`] through [`WholeKes::from_money`], never from a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WholeKes(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount to pay must be more than zero (got {minor} cents)")]
    NotPositive { minor: i64 },
    #[error("M-Pesa pays whole shillings only (got {minor} cents)")]
    NotWhole { minor: i64 },
    #[error("amount too large for one payment ({minor} cents)")]
    TooLarge { minor: i64 },
}

impl WholeKes {
    /// Whole shillings from minor units: refused when there are cents, or when not positive.
    pub fn from_money(m: Money) -> Result<WholeKes, AmountError> {
        let Currency::Kes = m.currency;
        let per = m.currency.minor_per_major();
        if m.minor <= 0 {
            return Err(AmountError::NotPositive { minor: m.minor });
        }
        if m.minor % per != 0 {
            return Err(AmountError::NotWhole { minor: m.minor });
        }
        u32::try_from(m.minor / per).map(WholeKes).map_err(|_| AmountError::TooLarge { minor: m.minor })
    }

    /// Whole shillings as Daraja writes them (its `Amount`, a result's `TransactionAmount`).
    #[allow(dead_code)] // the simulator's tests and future readers; the depot reads Money
    pub fn from_kes(kes: u64) -> Result<WholeKes, AmountError> {
        let minor = i64::try_from(kes).ok().and_then(|k| k.checked_mul(100)).unwrap_or(i64::MAX);
        match u32::try_from(kes) {
            Ok(0) => Err(AmountError::NotPositive { minor: 0 }),
            Ok(k) => Ok(WholeKes(k)),
            Err(_) => Err(AmountError::TooLarge { minor }),
        }
    }

    pub fn kes(self) -> u32 {
        self.0
    }

    /// Back to the project's money: minor units.
    pub fn to_money(self) -> Money {
        Money::kes_minor(i64::from(self.0) * 100)
    }
}

/// A Kenyan mobile number in Daraja's form, `254` and nine digits (`7…` or `1…`). Its `Debug`
/// hides the middle digits: phone numbers are personal data and stay out of logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Kenyan mobile number (expected 07XXXXXXXX, 01XXXXXXXX or 2547XXXXXXXX)")]
pub struct MsisdnError;

impl Msisdn {
    /// Accepts what people write: `0712 345 678`, `+254712345678`, `254712345678`, `712345678`.
    pub fn parse(input: &str) -> Result<Msisdn, MsisdnError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
        let digits = digits.strip_prefix('+').unwrap_or(&digits);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MsisdnError);
        }
        let national = if let Some(rest) = digits.strip_prefix("254") {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            digits
        };
        if national.len() != 9 || !(national.starts_with('7') || national.starts_with('1')) {
            return Err(MsisdnError);
        }
        Ok(Msisdn(format!("254{national}")))
    }

    /// The number as Daraja wants it (`PartyB`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Msisdn({}******{})", &self.0[..4], &self.0[10..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_shillings_come_from_minor_units_and_cents_are_refused() {
        assert_eq!(WholeKes::from_money(Money::kes_minor(125_000)).unwrap().kes(), 1250);
        assert_eq!(WholeKes::from_money(Money::kes_minor(125_050)), Err(AmountError::NotWhole { minor: 125_050 }));
        assert_eq!(WholeKes::from_money(Money::kes_minor(0)), Err(AmountError::NotPositive { minor: 0 }));
        assert_eq!(WholeKes::from_money(Money::kes_minor(-500)), Err(AmountError::NotPositive { minor: -500 }));
        assert!(matches!(WholeKes::from_money(Money::kes_minor(i64::MAX - 7)), Err(AmountError::TooLarge { .. })));
        let kes = WholeKes::from_money(Money::kes_minor(4_200)).unwrap();
        assert_eq!(kes.to_money(), Money::kes_minor(4_200));
        assert_eq!(WholeKes::from_kes(0), Err(AmountError::NotPositive { minor: 0 }));
        assert!(matches!(WholeKes::from_kes(u64::MAX), Err(AmountError::TooLarge { .. })));
    }

    #[test]
    fn phone_numbers_are_normalised_to_darajas_form() {
        for written in ["0712 345 678", "+254712345678", "254712345678", "712345678", "0712-345-678"] {
            assert_eq!(Msisdn::parse(written).unwrap().as_str(), "254712345678", "{written}");
        }
        assert_eq!(Msisdn::parse("0110123456").unwrap().as_str(), "254110123456");
        for bad in ["", "0812345678", "07123456", "25471234567890", "07123x5678", "+", "254"] {
            assert_eq!(Msisdn::parse(bad), Err(MsisdnError), "{bad}");
        }
        let shown = format!("{:?}", Msisdn::parse("0712345678").unwrap());
        assert!(!shown.contains("712345678"), "{shown}");
    }
}
