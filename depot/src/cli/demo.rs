//! `fundi-depot demo`: what an artisan's phone does offline, run on a local SQLite file: create
//! a few drafts, edit one, submit one, delete one, then list what is left. Running it twice on
//! the same file shows that everything persisted.

use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::money::{format_money, Language};
use fundi_core::Store;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The phone database file (created if missing).
    #[arg(long, default_value = "fundi-demo.db")]
    db: PathBuf,
}

pub fn run(args: DemoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(&args.db)?;
    let new = |title: &str, category, price_minor, weekly_capacity, materials: &[&str]| NewDraft {
        title: title.into(),
        description: format!("{title}, handmade in Kenya"),
        materials: materials.iter().map(|m| m.to_string()).collect(),
        category,
        price_minor,
        weekly_capacity,
    };
    let necklace = store.create_draft(new("Beaded necklace", Category::Jewelry, 120_000, 12, &["glass beads", "brass"]))?;
    let basket = store.create_draft(new("Kiondo basket", Category::Baskets, 250_000, 4, &["sisal", "leather"]))?;
    let bowl = store.create_draft(new("Olive wood bowl", Category::Carvings, 180_000, 3, &["olive wood"]))?;
    println!("created 3 drafts");

    store.update_draft(&basket.id, DraftPatch { price_minor: Some(275_000), ..Default::default() })?;
    println!("edited the basket's price");
    store.submit_draft(&necklace.id)?;
    println!("submitted the necklace for review");
    store.delete_draft(&bowl.id)?;
    println!("deleted the bowl");

    let drafts = store.list_drafts()?;
    println!("\n{} drafts in {} (newest first):", drafts.len(), args.db.display());
    for d in drafts {
        println!(
            "  {:<20} {:>12}  {:<10} {:<18} {}",
            d.title,
            format_money(d.price, Language::English),
            d.category.code(),
            d.status.code(),
            d.id
        );
    }
    store.close()?;
    Ok(())
}
