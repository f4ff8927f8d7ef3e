//! Prices for the UI: format minor units for display, parse what the artisan types.

use crate::error::FundiError;
use fundi_core::drafts::validate::parse_price_input;
use fundi_core::money::{self, Language, Money};

/// The language a user reads the app in.
#[uniffi::remote(Enum)]
pub enum Language {
    English,
    Swahili,
}

/// "KSh 1,250" for 125000 minor units.
#[uniffi::export]
pub fn format_kes(minor: i64, language: Language) -> String {
    money::format_money(Money::kes_minor(minor), language)
}

/// Minor units from what was typed into the price field, or the price field's issue.
#[uniffi::export]
pub fn parse_price(typed: String) -> Result<i64, FundiError> {
    parse_price_input(&typed).map_err(FundiError::from)
}
