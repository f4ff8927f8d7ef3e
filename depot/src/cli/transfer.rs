//! `fundi-depot export` and `import` (issue 13 item 5, ADR 0029): a store moved whole between
//! SQLite and PostgreSQL through a SQLite file at this depot's schema (`store::transfer`).
//!
//! Moving a depot from SQLite to PostgreSQL, with the server stopped:
//!
//! ```text
//! fundi-depot export --data-dir D --out moved.db
//! fundi-depot import --data-dir D --database postgres://... --from moved.db
//! fundi-depot serve  --data-dir D
//! ```
//!
//! The data directory keeps its keys and blobs, so phones keep their pinned key and their
//! photos; `import` checks that the SQLite store it replaces is the one the file was exported
//! from, names the database in the data directory, and only then moves the old file aside (kept,
//! as `depot.db.moved-<ms>`). Every table is compared after the copy: the feed's numbers and
//! every device's counters are the same, so every phone's cursor stays valid.

use crate::store::data_dir::DataDirLock;
use crate::store::sql::Tx;
use crate::store::transfer::{self, Digest};
use crate::store::{database_of, now_ms, ApiError, Db, DATABASE_FILE, DB_FILE, MIGRATIONS, PG_POOL_SIZE};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// The SQLite file to write (it must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Print what was exported as JSON (rows and digest per table).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The data directory whose store receives the file: a new one, or (with `--database`) the
    /// one the file was exported from.
    #[arg(long)]
    data_dir: PathBuf,
    /// Import into this PostgreSQL database (empty, or new), which becomes the data directory's
    /// store; without it, into the data directory's new SQLite store.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The file `export` wrote.
    #[arg(long)]
    from: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn export(args: ExportArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.out.exists() {
        return Err(format!("{} exists already: export writes a new file", args.out.display()).into());
    }
    let db = Db::open(&args.data_dir)?;
    let partial = args.out.with_file_name(format!(
        ".{}.partial-{}",
        args.out.file_name().and_then(|n| n.to_str()).unwrap_or("export"),
        uuid::Uuid::new_v4().simple()
    ));
    let written = (|| -> Result<Digest, ApiError> {
        let digest = transfer::export_to_file(&db, &partial)?;
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| ApiError::internal(format!("flushing: {e}")))?;
        std::fs::rename(&partial, &args.out).map_err(|e| ApiError::internal(format!("naming the export: {e}")))?;
        Ok(digest)
    })();
    let digest = written.inspect_err(|_| {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
    })?;
    say(&digest, args.json, &format!("exported into {}", args.out.display()))
}

pub fn import(args: ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let source = rusqlite::Connection::open_with_flags(&args.from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (found, end) = (MIGRATIONS.version_of(&source)?, MIGRATIONS.end_version());
    if found != end {
        return Err(format!(
            "{} is at schema version {found}, this depot's is {end}: export it with this depot",
            args.from.display()
        )
        .into());
    }
    std::fs::create_dir_all(&args.data_dir)?;
    let _not_served = DataDirLock::take(&args.data_dir)?;
    let source = Tx::sqlite(&source);
    let tables = transfer::tables()?;
    let replaced = args.data_dir.join(DB_FILE);
    let digest = match &args.database {
        Some(url) => {
            if database_of(&args.data_dir)?.is_some() {
                return Err(format!("{} already names a database ({DATABASE_FILE})", args.data_dir.display()).into());
            }
            // A SQLite store here must be the one the file holds: it is being moved.
            if replaced.exists() {
                let here = Db::open(&args.data_dir)?.read(|tx| Digest::of(tx, &tables))?;
                let file = Digest::of(&source, &tables)?;
                if here != file {
                    return Err(format!(
                        "the SQLite store in {} is not the one {} was exported from (they differ in {}): export it again",
                        args.data_dir.display(),
                        args.from.display(),
                        here.differences(&file).join(", ")
                    )
                    .into());
                }
            }
            let db = Db::open_postgres(&args.data_dir, url, PG_POOL_SIZE)?;
            let digest = db.write(|to| transfer::copy(&source, to))?;
            // The database is named first: a stop between the two steps leaves a data
            // directory that opens the database, with the old file beside it.
            crate::store::write_database_file(&args.data_dir, url)?;
            if replaced.exists() {
                let aside = args.data_dir.join(format!("{DB_FILE}.moved-{}", now_ms()));
                std::fs::rename(&replaced, &aside)?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", replaced.display()));
                }
                eprintln!("the SQLite store it replaces is kept as {}", aside.display());
            }
            digest
        }
        None => {
            if replaced.exists() || database_of(&args.data_dir)?.is_some() {
                return Err(format!("{} holds a store already: import into a new data directory", args.data_dir.display()).into());
            }
            Db::open(&args.data_dir)?.write(|to| transfer::copy(&source, to))?
        }
    };
    say(&digest, args.json, &format!("imported into {}", args.data_dir.display()))
}

fn say(digest: &Digest, json: bool, what: &str) -> Result<(), Box<dyn std::error::Error>> {
    if json {
        let tables: Vec<_> = digest
            .tables
            .iter()
            .map(|(name, rows, sha)| serde_json::json!({"table": name, "rows": rows, "sha256": sha}))
            .collect();
        println!("{}", serde_json::json!({"rows": digest.rows(), "tables": tables}));
    } else {
        println!("{what}: {} rows in {} tables, each table checked row for row", digest.rows(), digest.tables.len());
    }
    Ok(())
}
