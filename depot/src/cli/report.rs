//! `fundi-depot report NAME`: an M&E report as CSV (ADR 0022), on stdout or into a file, read
//! from the store's file beside a running server (a read-only snapshot: the server goes on
//! syncing phones meanwhile). Into a file, the rows go to `FILE.partial` first, renamed to
//! `FILE` once the report is whole: a failed export never leaves a file that looks finished.

use crate::reports::db::Snapshot;
use crate::reports::{Period, Report};
use crate::store::{Db, DATABASE_FILE, DB_FILE};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// sales, price-bands, cohorts, lead-times, quality or active.
    name: String,
    #[arg(long)]
    data_dir: PathBuf,
    /// The period's first day (YYYY-MM-DD, included); the beginning if left out.
    #[arg(long)]
    from: Option<String>,
    /// The period's last day (YYYY-MM-DD, included); up to the latest if left out.
    #[arg(long)]
    to: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let report = Report::from_name(&args.name)?;
    let period = Period::parse(args.from.as_deref(), args.to.as_deref())?;
    if !args.data_dir.join(DB_FILE).is_file() && !args.data_dir.join(DATABASE_FILE).is_file() {
        return Err(format!("no depot store in {}", args.data_dir.display()).into());
    }
    // Opened as every subcommand opens it (a store written by a newer depot is refused), and
    // kept open while the report reads, so that its WAL files stay.
    let db = Db::open(&args.data_dir)?;
    let snapshot = Snapshot::open(db.dir())?;
    match args.out {
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            report.write(&snapshot, &period, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let mut partial = path.clone().into_os_string();
            partial.push(".partial");
            let partial = PathBuf::from(partial);
            let written = std::fs::File::create(&partial).map_err(Into::into).and_then(|f| {
                let mut out = BufWriter::new(f);
                report.write(&snapshot, &period, &mut out)?;
                let f = out.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                Ok::<_, Box<dyn std::error::Error>>(())
            });
            if let Err(e) = written.and_then(|()| Ok(std::fs::rename(&partial, &path)?)) {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        }
    }
    Ok(())
}
