//! `fundi-depot depot`: the depots of the deployment (several depots in one deployment, ADR
//! 0030), as the local operator. `add --name NAME` adds one and prints its id (give it to
//! `enroll --depot` and `set-depot`); `list` lists them with how many artisans, mentors and
//! staff each has. A deployment starts as one depot, the default one.

use crate::store::accounts::Caller;
use crate::store::{depots, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DepotArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Add a depot: prints its id.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        data_dir: PathBuf,
        /// Print JSON ({"id", "name", "created_ms"}).
        #[arg(long)]
        json: bool,
    },
    /// List the depots, the default one marked, with their accounts by role.
    List {
        #[arg(long)]
        data_dir: PathBuf,
        /// Print a JSON array ({"id", "name", "created_ms", "artisans", "mentors", "staff", "default"}).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: DepotArgs) -> Result<(), Box<dyn std::error::Error>> {
    let op = Caller::local_operator();
    match args.what {
        What::Add { name, data_dir, json } => {
            let db = Db::open(&data_dir)?;
            let depot = db.write(|tx| depots::add(tx, &op, &name))?;
            if json {
                println!("{}", serde_json::to_string(&depot)?);
            } else {
                println!("depot {} ({})", depot.id, depot.name);
            }
        }
        What::List { data_dir, json } => {
            let db = Db::open(&data_dir)?;
            let list = db.read(|tx| depots::list(tx, &op))?;
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|d| {
                        let mut v = serde_json::to_value(d).expect("depots serialize");
                        v["default"] = (d.depot.id == depots::DEFAULT_DEPOT).into();
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                for d in &list {
                    let default = if d.depot.id == depots::DEFAULT_DEPOT { " (default)" } else { "" };
                    println!(
                        "{}  {}{default}: {} artisans, {} mentors, {} staff",
                        d.depot.id, d.depot.name, d.artisans, d.mentors, d.staff
                    );
                }
            }
        }
    }
    Ok(())
}
