//! `fundi-depot prune`: remove deleted drafts and scope exits older than the retention horizon
//! now (the server does it at start and hourly). Phones whose cursor predates what is removed
//! re-sync in full at their next sync (ADR 0012).

use crate::store::retention::{self, DAY_MS, DEFAULT_RETENTION_DAYS};
use crate::store::{now_ms, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct PruneArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// Keep what changed within this many days (0: prune every tombstone now).
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    tombstone_retention_days: u64,
    /// Print the result as JSON (for scripts).
    #[arg(long)]
    json: bool,
}

pub fn run(args: PruneArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let p = retention::prune(&db, args.tombstone_retention_days.saturating_mul(DAY_MS), now_ms())?;
    if args.json {
        println!("{}", serde_json::to_string(&p)?);
    } else {
        println!(
            "pruned {} deleted drafts and {} scope exits; cursors below {} are expired",
            p.tombstones, p.exits, p.pruned_seq
        );
    }
    Ok(())
}
