//! `fundi-depot enroll`: create an account (any role) and print its one-time enrollment code,
//! from the depot box's own command line (the local operator acts as operations). `--depot ID`
//! puts the account in that depot (the default one when omitted; an operations account belongs
//! to none, ADR 0030).

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
    /// The depot the account belongs to (`fundi-depot depot list` shows their ids); the
    /// default depot when omitted. Not for an operations account, which belongs to none.
    #[arg(long)]
    depot: Option<String>,
    /// Print the result as JSON (for scripts).
    #[arg(long)]
    json: bool,
}

pub fn run(args: EnrollArgs) -> Result<(), Box<dyn std::error::Error>> {
    let role = Role::from_code(&args.role).ok_or("role must be artisan, mentor, staff or operations")?;
    let db = Db::open(&args.data_dir)?;
    let e = db.write(|tx| {
        let request =
            NewEnrollment { role, name: args.name.clone(), mentor_id: args.mentor.clone(), depot_id: args.depot.clone() };
        accounts::enroll(tx, &Caller::local_operator(), request)
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&e)?);
    } else {
        println!("account {}\nenrollment code {} (valid 7 days, once)", e.account_id, e.code);
    }
    Ok(())
}
