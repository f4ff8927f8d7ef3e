//! `fundi-depot migrate`: bring a data directory's store to this depot's schema deliberately,
//! before a start (`serve` migrates on opening too), saying from which version to which;
//! `--check` only reports, and its exit status tells whether migrations are pending. A store
//! written by a newer depot is refused (`newer_schema`) and left untouched.

use crate::store::data_dir::schema_versions;
use crate::store::Db;
use std::path::PathBuf;
use std::process::ExitCode;

/// `migrate --check`'s exit status when migrations are pending (1 is any error).
pub const PENDING: u8 = 2;

#[derive(clap::Args)]
pub struct MigrateArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// Only report; exit with status 2 when migrations are pending, 0 when none are.
    #[arg(long)]
    check: bool,
}

pub fn run(args: MigrateArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (found, end) = schema_versions(&args.data_dir)?;
    if found == end {
        println!("the store is at schema version {end}, this depot's: nothing to migrate");
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        println!("the store is at schema version {found}; this depot writes {end}: {} migrations pending", end - found);
        return Ok(ExitCode::from(PENDING));
    }
    // Opening migrates, all pending migrations in one transaction (and makes the meta row).
    drop(Db::open(&args.data_dir)?);
    println!("migrated the store from schema version {found} to {end}");
    Ok(ExitCode::SUCCESS)
}
