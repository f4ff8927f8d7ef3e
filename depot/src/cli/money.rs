//! `fundi-depot ledger ACCOUNT`: an account's money ledger (every entry, oldest first) and its
//! balance; `fundi-depot refund ORDER --reason TEXT`: undo a delivered order's earning with a
//! reversing entry (and of its mentor's commission); `fundi-depot commission-rate [--from DAY
//! --percent P]`: the mentors' commission rates, or a new one from a day on (ADR 0020);
//! `fundi-depot exchange-rate [--currency C --from DAY --kes RATE]`: what a unit of a shop
//! currency is worth in shillings, from a day on; `fundi-depot margins`: the platform's ledger,
//! the margin on each delivered sale (ADR 0027). All act as the local operator.

use crate::store::accounts::Caller;
use crate::store::{margins, money, Db};
use fundi_sync::dates::Day;
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

#[derive(clap::Args)]
pub struct CommissionRateArgs {
    /// The first day the new rate applies (YYYY-MM-DD, the deployment's calendar).
    #[arg(long, requires = "percent")]
    from: Option<String>,
    /// The rate, a percentage of the mentees' delivered sales with at most two decimals ("5", "2.5").
    #[arg(long, requires = "from")]
    percent: Option<String>,
    #[arg(long)]
    data_dir: PathBuf,
}

#[derive(clap::Args)]
pub struct ExchangeRateArgs {
    /// The shop currency (USD, EUR or GBP; KES is always 1).
    #[arg(long, requires_all = ["from", "kes"])]
    currency: Option<String>,
    /// The first day the new rate applies (YYYY-MM-DD, the deployment's calendar).
    #[arg(long, requires = "currency")]
    from: Option<String>,
    /// Shillings one unit is worth, with at most four decimals ("129.50").
    #[arg(long, requires = "currency", allow_hyphen_values = true)]
    kes: Option<String>,
    /// Only list the rates (they are listed after a new one is set, too).
    #[arg(long, conflicts_with = "currency")]
    list: bool,
    #[arg(long)]
    data_dir: PathBuf,
}

#[derive(clap::Args)]
pub struct MarginsArgs {
    /// One JSON document: the entries, the totals per currency, the delivered sales without a rate.
    #[arg(long)]
    json: bool,
    #[arg(long)]
    data_dir: PathBuf,
}

/// Basis points of a percentage written with at most two decimals, without floating point.
fn basis_points(percent: &str) -> Option<u32> {
    let percent = percent.trim();
    let (whole, fraction) = percent.split_once('.').unwrap_or((percent, "0"));
    if whole.is_empty()
        || fraction.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let cents: u32 = format!("{fraction:0<2}").parse().ok()?;
    whole.parse::<u32>().ok()?.checked_mul(100)?.checked_add(cents)
}

pub fn commission_rate(args: CommissionRateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    if let (Some(from), Some(percent)) = (&args.from, &args.percent) {
        let day = Day::parse(from).map_err(|e| format!("--from {from}: {e}"))?;
        let bp = basis_points(percent).ok_or_else(|| format!("--percent {percent}: a number with at most two decimals"))?;
        db.write(|tx| money::set_commission_rate(tx, &Caller::local_operator(), day, bp))?;
    }
    let rates = db.read(money::commission_rates)?;
    if rates.is_empty() {
        println!("no commission rate set: mentors earn no commission");
    }
    for (day, bp) in rates {
        println!("from {day}: {}.{:02}%", bp / 100, bp % 100);
    }
    Ok(())
}

pub fn exchange_rate(args: ExchangeRateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    if let (Some(currency), Some(from), Some(kes)) = (&args.currency, &args.from, &args.kes) {
        margins::check_currency(currency).map_err(|e| format!("--currency {currency}: {e}"))?;
        let day = Day::parse(from).map_err(|e| format!("--from {from}: {e}"))?;
        let rate = margins::parse_kes_per_unit(kes).map_err(|e| format!("--kes {kes}: {e}"))?;
        db.write(|tx| margins::set_exchange_rate(tx, &Caller::local_operator(), currency, day, rate))?;
    }
    let rates = db.read(|tx| margins::exchange_rates(tx, &Caller::local_operator()))?;
    if rates.is_empty() {
        println!("no exchange rate set: only products priced in KES may be published");
    }
    for r in rates {
        println!("{} from {}: KSh {} a unit", r.key.unwrap_or_default(), r.from, margins::show_rate(r.value));
    }
    Ok(())
}

pub fn margins(args: MarginsArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let op = Caller::local_operator();
    let ((entries, totals), unpriced) =
        db.read(|tx| Ok((margins::platform_ledger(tx, &op)?, margins::unpriced_sales(tx, &op)?)))?;
    if args.json {
        let unpriced: Vec<serde_json::Value> = unpriced
            .iter()
            .map(|(order, s)| {
                serde_json::json!({"order_id": order, "price_minor": s.price_minor, "currency": s.currency,
                    "sold_day": s.sold_day.to_string()})
            })
            .collect();
        println!("{}", serde_json::json!({"entries": entries, "totals": totals, "unpriced": unpriced}));
        return Ok(());
    }
    for e in &entries {
        let note = e.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default();
        println!(
            "{:<16} {:>16}  {}: sold for {} at KSh {} = {}, her earning {}, commission {}{}{note}",
            e.kind,
            shown(e.amount_minor, &e.currency),
            e.order_id,
            crate::http::shop::price_text(e.sale_minor, &e.sale_currency),
            margins::show_rate(e.kes_per_unit_e4),
            shown(e.sale_kes_minor, &e.currency),
            shown(e.earning_minor, &e.currency),
            shown(e.commission_minor, &e.currency),
            if e.commission_minor < e.commission_at_rate_minor {
                format!(" (capped: {} at her rate)", shown(e.commission_at_rate_minor, &e.currency))
            } else {
                String::new()
            },
        );
    }
    if totals.is_empty() {
        println!("margin: nothing delivered from a shop's sale yet");
    }
    for (currency, total) in &totals {
        println!("margin: {}", shown(*total, currency));
    }
    for (order, s) in &unpriced {
        println!(
            "no margin on {order}: sold for {} on {}, a day without a {} exchange rate",
            crate::http::shop::price_text(s.price_minor, &s.currency),
            s.sold_day,
            s.currency
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_become_basis_points_exactly() {
        use super::basis_points as bp;
        assert_eq!(
            (bp("5"), bp("2.5"), bp("2.50"), bp("0.01"), bp("12.34")),
            (Some(500), Some(250), Some(250), Some(1), Some(1234))
        );
        for bad in ["", ".5", "5.", "1.234", "-1", "5%", "1e2", "ten", "1000"] {
            assert_eq!(bp(bad), None, "{bad}");
        }
    }
}
