//! `fundi-depot restore`: put a backup back into a data directory (ADR 0028, `store::restore`),
//! checked first, migrated if older; a data directory holding a store only with `--replace`,
//! which moves it aside. Phones that synced before the restore re-sync in full at their next sync.

use crate::store::restore;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup's directory (as `fundi-depot backup --out` wrote it).
    #[arg(long)]
    from: PathBuf,
    #[arg(long)]
    data_dir: PathBuf,
    /// Move the store already in the data directory aside (to `<data-dir>.replaced-<ms>`) and restore in its place.
    #[arg(long)]
    replace: bool,
}

pub fn run(args: RestoreArgs) -> Result<(), Box<dyn std::error::Error>> {
    let r = restore::restore(&args.from, &args.data_dir, args.replace)?;
    let m = &r.manifest;
    println!(
        "restored the backup of {} ({} records, {} blobs, the feed up to seq {}) into {}",
        m.created,
        m.records,
        m.blobs,
        m.feed_last_seq,
        args.data_dir.display()
    );
    if r.migrated.0 != r.migrated.1 {
        println!("migrated the store from schema version {} to {}", r.migrated.0, r.migrated.1);
    }
    println!(
        "the feed goes on from seq {}: phones that synced before the restore re-sync in full at their next sync; \
         what the depot took after the backup is not in it (ADR 0028)",
        r.restore_seq
    );
    if let Some(aside) = &r.replaced {
        println!("the store that was there is kept in {}", aside.display());
    }
    Ok(())
}
