//! `fundi-depot serve`: the sync server on a data directory (created on first start, no setup).

use crate::http;
use crate::store::Db;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the depot keeps its database (created if missing).
    #[arg(long, default_value = "fundi-depot-data")]
    data_dir: PathBuf,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Load the demo data set (accounts, orders) into an empty store and print its enrollment codes.
    #[arg(long)]
    demo: bool,
    /// Lifetime of device credentials in seconds (rotation renews them).
    #[arg(long, default_value_t = crate::store::DEFAULT_TOKEN_TTL_MS / 1000)]
    token_ttl_secs: u64,
    /// Largest request body accepted on the wire, in KiB.
    #[arg(long, default_value_t = http::MAX_BODY / 1024)]
    max_body_kib: usize,
}

pub fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = Db::open(&args.data_dir)?;
    db.token_ttl_ms = args.token_ttl_secs.saturating_mul(1000);
    if args.demo {
        crate::cli::seed::seed_demo(&db)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(http::serve(Arc::new(db), &args.listen, args.max_body_kib.saturating_mul(1024)))?;
    Ok(())
}
