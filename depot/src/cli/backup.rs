//! `fundi-depot backup`: a consistent copy of a data directory into a new directory, taken
//! while the depot serves (ADR 0028, `store::backup`): the store's snapshot, the blobs it
//! names, the depot's key files and a manifest. The copy holds the depot's private key: keep
//! it as you keep the key.

use crate::store::backup;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// The directory to write the backup into; it must not exist yet.
    #[arg(long)]
    out: PathBuf,
    /// Print the manifest as JSON (for scripts).
    #[arg(long)]
    json: bool,
}

pub fn run(args: BackupArgs) -> Result<(), Box<dyn std::error::Error>> {
    let m = backup::backup(&args.data_dir, &args.out)?;
    if args.json {
        println!("{}", serde_json::to_string(&m)?);
        return Ok(());
    }
    println!(
        "backed up {} records, {} accounts and {} blobs ({} bytes), the feed up to seq {} (schema version {}), into {}",
        m.records,
        m.accounts,
        m.blobs,
        m.blob_bytes,
        m.feed_last_seq,
        m.schema_version,
        args.out.display()
    );
    if !m.blobs_missing.is_empty() || !m.blobs_damaged.is_empty() {
        eprintln!(
            "not in the backup: {} blobs not arrived yet and {} damaged (see `fundi-depot blobs verify`)",
            m.blobs_missing.len(),
            m.blobs_damaged.len()
        );
    }
    println!("it holds the depot's private key: keep it as you keep the key");
    Ok(())
}
