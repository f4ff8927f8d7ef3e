//! `fundi-depot set-mentor ARTISAN --mentor MENTOR` (or `--no-mentor`): move an artisan to
//! another mentor. The old mentor's phones lose her drafts, profile and orders at their next
//! sync; the new mentor's receive them (ADR 0012).

use crate::store::accounts::{self, Caller};
use crate::store::Db;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SetMentorArgs {
    artisan_id: String,
    /// The new mentor's account id.
    #[arg(long, required_unless_present = "no_mentor", conflicts_with = "no_mentor")]
    mentor: Option<String>,
    /// Leave the artisan without a mentor.
    #[arg(long)]
    no_mentor: bool,
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: SetMentorArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let moved = db.write(|tx| accounts::set_mentor(tx, &Caller::local_operator(), &args.artisan_id, args.mentor.as_deref()))?;
    let to = args.mentor.as_deref().unwrap_or("no mentor");
    println!("artisan {} now has {to} ({} scope exits, {} records re-sent)", args.artisan_id, moved.exits, moved.restamped);
    Ok(())
}
