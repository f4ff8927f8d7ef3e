//! `fundi-depot payouts`: what became of payouts, read from the depot's store next to a running
//! server. `finished` prints, as JSON lines, the payouts that ended (paid or failed) after a
//! cursor, in the order they ended: what the earnings ledger applies (a failed payout's amount
//! goes back to the artisan's balance with its reason). `totals` prints the money the depot
//! records as paid (what reconciliation compares with M-Pesa's own record). `create` makes a
//! batch for a period from what each account may be paid, as the local operator (ADR 0021); a
//! running server's payout engine sends it once approved.

use crate::store::accounts::Caller;
use crate::store::Db;
use crate::store::{money, payouts};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct PayoutsArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Payouts that ended after a cursor (their `final_seq`), one JSON object a line.
    Finished {
        #[arg(long)]
        data_dir: PathBuf,
        /// The last `final_seq` already applied (0: from the first).
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Only the failed ones (what goes back to balances).
        #[arg(long)]
        failed: bool,
    },
    /// A batch for a period from what each account may be paid (their ledgers' balances,
    /// whole shillings, to the number in their profiles), printed as JSON. Above the default
    /// threshold (KSh 50,000) it waits for an operations account's approval over the API.
    Create {
        #[arg(long)]
        data_dir: PathBuf,
        /// The period's first and last days (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Money recorded as paid and payouts by state, as one JSON object.
    Totals {
        #[arg(long)]
        data_dir: PathBuf,
    },
}

pub fn run(args: PayoutsArgs) -> Result<(), Box<dyn std::error::Error>> {
    match args.what {
        What::Finished { data_dir, after, limit, failed } => {
            let db = Db::open(&data_dir)?;
            let rows =
                if failed { payouts::failed_since(&db, after, limit)? } else { payouts::finished_since(&db, after, limit)? };
            for r in rows {
                println!("{}", serde_json::to_string(&r)?);
            }
        }
        What::Create { data_dir, from, to } => {
            let db = Db::open(&data_dir)?;
            let req = money::BatchRequest { period_from: from, period_to: to, payouts: None };
            let hlc = db.now();
            // The default threshold: no flag here can lift the second approval.
            let created =
                db.write(|tx| money::create_payout_batch(tx, &Caller::local_operator(), &req, Default::default(), hlc))?;
            println!("{}", serde_json::to_string_pretty(&created)?);
        }
        What::Totals { data_dir } => {
            let db = Db::open(&data_dir)?;
            let totals = db.read(payouts::totals)?;
            println!("{}", serde_json::to_string(&totals)?);
        }
    }
    Ok(())
}
