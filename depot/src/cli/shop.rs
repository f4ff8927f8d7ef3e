//! `fundi-depot shop`: the shops that send orders by the webhook (ADR 0026), as the local
//! operator. `add --name NAME` prints the new shop's id and secret, the secret this once (give
//! both to the shop: it signs every delivery with the secret); `list` the shops; `revoke ID`
//! refuses a shop's deliveries from then on; `deliveries` what became of the latest deliveries
//! (`--refused` only those refused, `--shop ID` one shop's), so operations see why a shop's
//! orders did not arrive.

use crate::store::accounts::Caller;
use crate::store::{shops, Db};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ShopArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Add a shop: prints its id and its secret (shown once).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        data_dir: PathBuf,
        /// Print JSON ({"id", "name", "secret"}).
        #[arg(long)]
        json: bool,
    },
    /// List the shops (without their secrets).
    List {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Refuse a shop's deliveries from now on.
    Revoke {
        shop_id: String,
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// The latest deliveries and what was answered, newest first.
    Deliveries {
        #[arg(long)]
        data_dir: PathBuf,
        /// One shop's only.
        #[arg(long)]
        shop: Option<String>,
        /// Only those refused.
        #[arg(long)]
        refused: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ShopArgs) -> Result<(), Box<dyn std::error::Error>> {
    let op = Caller::local_operator();
    match args.what {
        What::Add { name, data_dir, json } => {
            let db = Db::open(&data_dir)?;
            let shop = db.write(|tx| shops::add(tx, &op, &name))?;
            if json {
                println!("{}", serde_json::to_string(&shop)?);
            } else {
                println!("shop {} ({})", shop.id, shop.name);
                println!("secret {}", shop.secret);
                println!("(the secret is shown this once: the shop signs its orders with it)");
            }
        }
        What::List { data_dir } => {
            let db = Db::open(&data_dir)?;
            for s in db.read(|tx| shops::list(tx, &op))? {
                let state = if s.revoked_ms.is_some() { "revoked" } else { "active" };
                println!("{}  {:<8} {}", s.id, state, s.name);
            }
        }
        What::Revoke { shop_id, data_dir } => {
            let db = Db::open(&data_dir)?;
            let s = db.write(|tx| shops::revoke(tx, &op, &shop_id))?;
            println!("shop {} ({}) is revoked", s.id, s.name);
        }
        What::Deliveries { data_dir, shop, refused, limit, json } => {
            let db = Db::open(&data_dir)?;
            for d in db.read(|tx| shops::deliveries(tx, &op, shop.as_deref(), refused, limit))? {
                if json {
                    println!("{}", serde_json::to_string(&d)?);
                } else {
                    let at = fundi_sync::dates::Day::of_ms(d.at_ms.max(0) as u64);
                    let order = d.shop_order_id.as_deref().unwrap_or("-");
                    println!("{at} {} {:<24} {} {:<20} {}", d.shop_id, d.code, d.status, order, d.detail);
                }
            }
        }
    }
    Ok(())
}
