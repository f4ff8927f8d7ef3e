//! `fundi-depot ledger ACCOUNT`: an account's money ledger (every entry, oldest first) and its
//! balance; `fundi-depot refund ORDER --reason TEXT`: undo a delivered order's earning with a
//! reversing entry (ADR 0020). Both act as the local operator.

use crate::store::accounts::Caller;
use crate::store::{money, Db};
use fundi_sync::money::{format_money, Currency, Language, Money};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct LedgerArgs {
    account_id: String,
    #[arg(long)]
    data_dir: PathBuf,
}

#[derive(clap::Args)]
pub struct RefundArgs {
    order_id: String,
    /// Why (shown to the artisan with the reversal).
    #[arg(long)]
    reason: String,
    #[arg(long)]
    data_dir: PathBuf,
}

fn shown(minor: i64, currency: &str) -> String {
    match Currency::from_code(currency) {
        Some(c) => format_money(Money { minor, currency: c }, Language::English),
        None => format!("{minor} {currency} (minor units)"),
    }
}

pub fn ledger(args: LedgerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let (entries, balances) = db.read(|tx| money::ledger_of(tx, &args.account_id))?;
    for e in &entries {
        let of = e.order_id.as_deref().or(e.payout_id.as_deref()).unwrap_or("");
        let note = e.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default();
        println!("{:<16} {:>16}  {of}{note}", e.kind, shown(e.amount_minor, &e.currency));
    }
    if balances.is_empty() {
        println!("balance: nothing earned yet");
    }
    for (currency, b) in &balances {
        println!("balance: {}", shown(*b, currency));
    }
    Ok(())
}

pub fn refund(args: RefundArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let hlc = db.now();
    db.write(|tx| money::reverse_earning(tx, &Caller::local_operator(), &args.order_id, &args.reason, hlc))?;
    println!("order {} refunded: its earning is reversed", args.order_id);
    Ok(())
}
