//! `fundi-depot enroll`: create an account (any role) and print its one-time enrollment code,
//! from the depot box's own command line (the local operator acts as operations).

use crate::store::accounts::{self, Caller, NewEnrollment};
use crate::store::Db;
use fundi_sync::Role;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EnrollArgs {
    #[arg(long)]
    data_dir: PathBuf,
    /// artisan, mentor, staff or operations.
    #[arg(long)]
    role: String,
    #[arg(long)]
    name: String,
    /// For an artisan: the mentor's account id.
    #[arg(long)]
    mentor: Option<String>,
    /// Print the result as JSON (for scripts).
    #[arg(long)]
    json: bool,
}

pub fn run(args: EnrollArgs) -> Result<(), Box<dyn std::error::Error>> {
    let role = Role::from_code(&args.role).ok_or("role must be artisan, mentor, staff or operations")?;
    let db = Db::open(&args.data_dir)?;
    let e = db.write(|tx| {
        accounts::enroll(
            tx,
            &Caller::local_operator(),
            NewEnrollment { role, name: args.name.clone(), mentor_id: args.mentor.clone() },
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&e)?);
    } else {
        println!("account {}\nenrollment code {} (valid 7 days, once)", e.account_id, e.code);
    }
    Ok(())
}
