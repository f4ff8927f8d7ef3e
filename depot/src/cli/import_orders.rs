//! `fundi-depot import-orders FILE`: import incoming orders from a CSV or JSON file (same rules as
//! `POST /v1/orders`; importing the same file twice creates nothing new).

use crate::store::accounts::Caller;
use crate::store::{orders, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ImportOrdersArgs {
    /// CSV (header: source,external_ref,product,quantity,price_minor[,artisan_id]) or a JSON array.
    file: PathBuf,
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: ImportOrdersArgs) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(&args.file)?;
    let list = orders::parse_import(&bytes)?;
    let db = Db::open(&args.data_dir)?;
    let report = orders::import(&db, &Caller::local_operator(), &list)?;
    println!("imported {} orders ({} already present)", report.created.len(), report.already_present);
    Ok(())
}
