//! `fundi-depot list-depot`: what waits at the depot (orders ready, received, checked), orders
//! operations must assign, and stock on hand.

use crate::store::accounts::{self, Caller};
use crate::store::{orders, Db};
use fundi_core::money::{format_money, Language, Money};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ListDepotArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// Also list accounts.
    #[arg(long)]
    accounts: bool,
}

pub fn run(args: ListDepotArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let r = orders::depot_report(&db, &Caller::local_operator())?;
    println!("waiting at the depot: {}", r.waiting.len());
    for w in &r.waiting {
        let o = &w.order;
        println!(
            "  {:<18} {:<24} x{:<4} {:>14}  {}",
            o.status,
            o.product,
            o.quantity,
            format_money(Money::kes_minor(o.price_minor), Language::English),
            w.id
        );
    }
    println!("to assign: {}", r.unassigned.len());
    for w in &r.unassigned {
        println!("  {:<18} {:<24} {}:{}  {}", w.order.status, w.order.product, w.order.source, w.order.external_ref, w.id);
    }
    println!("stock on hand: {} products", r.stock.len());
    for (p, q) in &r.stock {
        println!("  {p}  {q}");
    }
    if args.accounts {
        for a in db.read(accounts::list_accounts)? {
            println!("account {} {:<10} {}", a.id, a.role.code(), a.name);
        }
    }
    Ok(())
}
