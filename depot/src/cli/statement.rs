//! `fundi-depot statement ACCOUNT --from DAY --to DAY [--csv] [--out FILE]`: an account's sales
//! statement over a period (orders delivered, refunds, payouts with their M-Pesa receipts,
//! totals per month), as a printable HTML page or CSV, read from the depot's store as the local
//! operator. The same as `GET /v1/statements/{account}`.

use crate::statement::{self, render};
use crate::store::accounts::Caller;
use crate::store::{now_ms, Db};
use fundi_sync::dates::Day;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct StatementArgs {
    account_id: String,
    /// The period's first and last days (YYYY-MM-DD, East Africa Time).
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    /// CSV rather than the printable page.
    #[arg(long)]
    csv: bool,
    /// Write here rather than to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: StatementArgs) -> Result<(), Box<dyn std::error::Error>> {
    let from = Day::parse(&args.from).map_err(|e| format!("--from {}: {e}", args.from))?;
    let to = Day::parse(&args.to).map_err(|e| format!("--to {}: {e}", args.to))?;
    let db = Db::open(&args.data_dir)?;
    let s = db.read(|tx| statement::statement(tx, &Caller::local_operator(), &args.account_id, from, to))?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::stdout().lock()),
    };
    if args.csv {
        render::write_csv(&s, &mut out)?;
    } else {
        out.write_all(render::html(&s, Day::of_ms(now_ms()))?.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
