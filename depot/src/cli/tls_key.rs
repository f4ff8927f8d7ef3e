//! `fundi-depot tls-key`: show the depot's key, prepare the next one, switch to it. Phones that
//! sync while a next key is announced (by a running `serve`, signed by the current key) move to
//! it by themselves; after `switch` (and a restart of `serve`) the others must enroll again.

use crate::http::tls::{switch_to_next, DepotKey, Slot};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct TlsKeyArgs {
    #[command(subcommand)]
    action: Action,
    /// The depot's data directory.
    #[arg(long, global = true, default_value = "fundi-depot-data")]
    data_dir: PathBuf,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print the fingerprints of the current and next keys.
    Show,
    /// Make the next key; `serve` announces it to phones from its next start.
    Next,
    /// Make the next key the current one (restart `serve` to serve it).
    Switch,
}

pub fn run(args: TlsKeyArgs) -> Result<(), Box<dyn std::error::Error>> {
    match args.action {
        Action::Show => {
            let current = DepotKey::current(&args.data_dir)?;
            println!("current {} (sha256 {})", current.fingerprint.short(), current.fingerprint);
            if let Some(next) = DepotKey::in_slot(&args.data_dir, Slot::Next)? {
                println!("next {} (sha256 {})", next.fingerprint.short(), next.fingerprint);
            }
        }
        Action::Next => {
            DepotKey::current(&args.data_dir)?;
            let next = DepotKey::generate(&args.data_dir, Slot::Next)?;
            println!("next {} (sha256 {})", next.fingerprint.short(), next.fingerprint);
        }
        Action::Switch => {
            let now = switch_to_next(&args.data_dir)?;
            println!("current {} (sha256 {})", now.short(), now);
        }
    }
    Ok(())
}
