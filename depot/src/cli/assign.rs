//! `fundi-depot assign ORDER ARTISAN`: assign an order to an artisan (the same workflow rules as
//! the API: only from new, assigned or declined).

use crate::store::accounts::Caller;
use crate::store::{push, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct AssignArgs {
    order_id: String,
    artisan_id: String,
    #[arg(long)]
    data_dir: PathBuf,
}

pub fn run(args: AssignArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open(&args.data_dir)?;
    let mut a = fundi_sync::Extra::new();
    a.insert("artisan_id".into(), args.artisan_id.clone().into());
    let o = push::order_command_api(&db, &Caller::local_operator(), &args.order_id, "assign", a)?;
    println!("order {} ({}) is {} to {}", args.order_id, o.external_ref, o.status, args.artisan_id);
    Ok(())
}
