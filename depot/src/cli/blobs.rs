//! `fundi-depot blobs`: the blob store of a data directory (ADR 0013). `list` shows the blobs
//! (with how many records refer to each), the uploads and the blobs records refer to that have
//! not arrived; `verify` rehashes every blob and fails on one whose bytes no longer match its
//! name; `reclaim` removes expired uploads and stray upload files (and, when asked, blobs no
//! record refers to). Safe next to a running server, which reclaims the same way.

use crate::store::blobs::hash_file;
use crate::store::uploads::{self, Reclaimed};
use crate::store::Db;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BlobsArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// List blobs, uploads, and blobs referred to that have not arrived.
    List(DataDir),
    /// Rehash every blob; report those whose bytes do not match their name (and fail).
    Verify {
        #[command(flatten)]
        dir: DataDir,
        /// Also remove the damaged blobs, so that their phones upload them again.
        #[arg(long)]
        remove_damaged: bool,
    },
    /// Remove expired uploads and upload files no upload owns.
    Reclaim {
        #[command(flatten)]
        dir: DataDir,
        /// Also remove blobs no record refers to any more.
        #[arg(long)]
        unreferenced: bool,
    },
}

#[derive(clap::Args)]
struct DataDir {
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: BlobsArgs) -> Result<(), Box<dyn std::error::Error>> {
    match args.action {
        Action::List(d) => list(&Db::open(&d.data_dir)?),
        Action::Verify { dir, remove_damaged } => verify(&Db::open(&dir.data_dir)?, remove_damaged),
        Action::Reclaim { dir, unreferenced } => reclaim(&Db::open(&dir.data_dir)?, unreferenced),
    }
}

fn list(db: &Db) -> Result<(), Box<dyn std::error::Error>> {
    let inv = uploads::inventory(db)?;
    for b in &inv.blobs {
        let name = if b.file.sha256.is_empty() { b.file.path.display().to_string() } else { b.file.sha256.clone() };
        println!("blob {name} {} bytes, {} records", b.file.bytes, b.refs);
    }
    for u in &inv.uploads {
        let state = if u.finished { "finished".to_string() } else { format!("expires {}", expiry(u.expires_ms)) };
        println!("upload {} {} {}/{} bytes {state} device {}", u.id, u.sha256, u.received, u.length, u.device_id);
    }
    for sha in &inv.missing {
        println!("missing {sha}");
    }
    let bytes: u64 = inv.blobs.iter().map(|b| b.file.bytes).sum();
    let open = inv.uploads.iter().filter(|u| !u.finished).count();
    println!(
        "{} blobs ({bytes} bytes), {} uploads ({open} unfinished), {} referred to but not arrived",
        inv.blobs.len(),
        inv.uploads.len(),
        inv.missing.len()
    );
    Ok(())
}

fn expiry(ms: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
}

fn verify(db: &Db, remove_damaged: bool) -> Result<(), Box<dyn std::error::Error>> {
    let inv = uploads::inventory(db)?;
    let (mut damaged, mut stray) = (0, 0);
    for b in &inv.blobs {
        if b.file.sha256.is_empty() {
            stray += 1;
            println!("stray {} (not named by its hash in its folder)", b.file.path.display());
            continue;
        }
        let (actual, _) = hash_file(&b.file.path)?;
        if actual != b.file.sha256 {
            damaged += 1;
            let what = if remove_damaged {
                db.blobs.remove_blob(&b.file.sha256)?;
                ", removed"
            } else {
                ""
            };
            println!("damaged {} (its bytes hash to {actual}{what})", b.file.sha256);
        }
    }
    for u in inv.uploads.iter().filter(|u| !u.finished && u.received > 0) {
        let on_disk = std::fs::metadata(db.blobs.partial_path(&u.id)).map(|m| m.len()).unwrap_or(0);
        if on_disk < u.received {
            damaged += 1;
            println!("damaged upload {} ({on_disk} bytes on disk, {} stored)", u.id, u.received);
        }
    }
    println!("verified {} blobs: {damaged} damaged, {stray} stray", inv.blobs.len());
    if damaged + stray > 0 {
        return Err(format!("{damaged} damaged and {stray} stray files in the blob store").into());
    }
    Ok(())
}

fn reclaim(db: &Db, unreferenced: bool) -> Result<(), Box<dyn std::error::Error>> {
    let Reclaimed { uploads: n, bytes, stray_files } = uploads::reclaim(db, false)?;
    print!("reclaimed {n} expired uploads ({bytes} bytes) and {stray_files} stray upload files");
    if unreferenced {
        let inv = uploads::inventory(db)?;
        let gone: Vec<_> = inv.blobs.iter().filter(|b| b.refs == 0 && !b.file.sha256.is_empty()).collect();
        for b in &gone {
            db.blobs.remove_blob(&b.file.sha256)?;
        }
        print!(", {} unreferenced blobs ({} bytes)", gone.len(), gone.iter().map(|b| b.file.bytes).sum::<u64>());
    }
    println!();
    Ok(())
}
