//! `fundi-depot set-depot --account ID --depot ID`: move an account (an artisan, a mentor, a
//! staff member) to another depot, as the local operator; audited. Her records go with her: the
//! old depot's staff phones lose them at their next sync, the new depot's receive them; a staff
//! member moved sees the new depot's records instead of the old one's (ADR 0030).

use crate::store::accounts::Caller;
use crate::store::{depots, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SetDepotArgs {
    /// The account to move.
    #[arg(long)]
    account: String,
    /// The depot to move it to (`fundi-depot depot list` shows their ids).
    #[arg(long)]
    depot: String,
    #[arg(long)]
    data_dir: PathBuf,
    /// Print JSON ({"exits", "restamped"}).
    #[arg(long)]
    json: bool,
}

pub fn run(args: SetDepotArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let moved = db.write(|tx| depots::set_depot(tx, &Caller::local_operator(), &args.account, &args.depot))?;
    if args.json {
        println!("{}", serde_json::to_string(&moved)?);
    } else {
        println!(
            "account {} is in depot {} ({} scope exits, {} records re-sent)",
            args.account, args.depot, moved.exits, moved.restamped
        );
    }
    Ok(())
}
