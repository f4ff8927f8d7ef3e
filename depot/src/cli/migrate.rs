//! `fundi-depot migrate`: bring a store to this depot's schema deliberately, before a start
//! (`serve` migrates on opening too), saying from which version to which; `--check` only
//! reports, and its exit status tells whether migrations are pending. A store written by a
//! newer depot is refused (`newer_schema`) and left untouched. The store is a data directory's
//! SQLite file (`--data-dir`) or a PostgreSQL database (`--database`, ADR 0029), with the same
//! messages and exit statuses.

use crate::store::data_dir::schema_versions;
use crate::store::{pg_schema, ApiError, Db};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// `migrate --check`'s exit status when migrations are pending (1 is any error).
pub const PENDING: u8 = 2;

/// How long connecting to `--database` may take before it is an error (unless its URL says).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("store").required(true).args(["data_dir", "database"])))]
pub struct MigrateArgs {
    /// The data directory of a depot on SQLite (the embedded default).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The PostgreSQL database of a depot on PostgreSQL, as a URL (postgres://USER@HOST:PORT/DBNAME).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Only report; exit with status 2 when migrations are pending, 0 when none are.
    #[arg(long)]
    check: bool,
}

pub fn run(args: MigrateArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match (args.data_dir, args.database) {
        // A data directory on PostgreSQL names its database (`database.url`).
        (Some(dir), None) => match crate::store::database_of(&dir)? {
            Some(url) => on_postgres(&url, args.check),
            None => on_sqlite(&dir, args.check),
        },
        (None, Some(url)) => on_postgres(&url, args.check),
        _ => unreachable!("clap takes exactly one of --data-dir and --database"),
    }
}

fn on_sqlite(dir: &Path, check: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (found, end) = schema_versions(dir)?;
    report(found, end, check, || {
        // Opening migrates, all pending migrations in one transaction (and makes the meta row).
        drop(Db::open(dir)?);
        Ok((found, end))
    })
}

fn on_postgres(url: &str, check: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut client = connect(url)?;
    let (found, end) = pg_schema::versions(&mut client)?;
    // Another process may migrate between the look and the lock: `migrate` then finds the end.
    report(found, end, check, || pg_schema::migrate(&mut client))
}

/// A connection to `url`. Its error names what failed and never the URL (it may hold a password).
fn connect(url: &str) -> Result<postgres::Client, ApiError> {
    let refused = |e: postgres::Error| {
        use std::error::Error as _;
        let cause = e.source().map(|c| format!(": {c}")).unwrap_or_default();
        ApiError::internal(format!("cannot connect to the PostgreSQL database of --database: {e}{cause}"))
    };
    let mut config: postgres::Config = url.parse().map_err(refused)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.connect(postgres::NoTls).map_err(refused)
}

/// Say where the store stands and, unless `check`, migrate it with `apply` (which answers from
/// which version to which it went).
fn report(
    found: u32,
    end: u32,
    check: bool,
    apply: impl FnOnce() -> Result<(u32, u32), ApiError>,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let nothing = || println!("the store is at schema version {end}, this depot's: nothing to migrate");
    if found == end {
        nothing();
        return Ok(ExitCode::SUCCESS);
    }
    if check {
        println!("the store is at schema version {found}; this depot writes {end}: {} migrations pending", end - found);
        return Ok(ExitCode::from(PENDING));
    }
    let (from, to) = apply()?;
    if from == to {
        nothing();
    } else {
        println!("migrated the store from schema version {from} to {to}");
    }
    Ok(ExitCode::SUCCESS)
}
