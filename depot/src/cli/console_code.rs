//! `fundi-depot console-code ACCOUNT`: a one-time code with which a staff, operations or mentor
//! account sets its console login and password at `/console/setup` (ADR 0024), issued as the
//! local operator. Any earlier unused code of the account stops working.

use crate::store::accounts::Caller;
use crate::store::{console, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ConsoleCodeArgs {
    account_id: String,
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: ConsoleCodeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let code = db.write(|tx| console::issue_setup_code(tx, &Caller::local_operator(), &args.account_id))?;
    println!("console setup code {code} (good for {} hours; type it at /console/setup)", console::SETUP_CODE_TTL_MS / 3_600_000);
    Ok(())
}
