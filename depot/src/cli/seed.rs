//! The demo data set `serve --demo` loads into an empty store: an operations account, a mentor,
//! depot staff, two artisans and a few orders; prints the enrollment codes to type into phones
//! and a console sign-in (login and password) for operations, the mentor and staff, and the id
//! and secret of a web shop that may send orders by the webhook.

use crate::store::accounts::{self, Caller, NewEnrollment};
use crate::store::console;
use crate::store::orders::{self, NewOrder};
use crate::store::shops;
use crate::store::{ApiError, Db};
use fundi_sync::dates::Day;
use fundi_sync::Role;

pub fn seed_demo(db: &Db) -> Result<(), ApiError> {
    let empty = db.read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))? == 0))?;
    if !empty {
        println!("demo: store not empty, nothing loaded");
        return Ok(());
    }
    let op = Caller::local_operator();
    let enroll = |role, name: &str, mentor: Option<String>| {
        db.write(|tx| accounts::enroll(tx, &op, NewEnrollment { role, name: name.into(), mentor_id: mentor, depot_id: None }))
    };
    let ops = enroll(Role::Operations, "Operations desk", None)?;
    let mentor = enroll(Role::Mentor, "Mama Wanjiku", None)?;
    let staff = enroll(Role::Staff, "Depot liaison", None)?;
    let a1 = enroll(Role::Artisan, "Akinyi Otieno", Some(mentor.account_id.clone()))?;
    let a2 = enroll(Role::Artisan, "Baraka Mwangi", Some(mentor.account_id.clone()))?;
    // Due dates from today: one order a week out, one in three days, one already late.
    let today = Day::of_ms(fundi_sync::hlc::wall_clock_ms());
    let order = |r: &str, p: &str, q, price, a: &accounts::Enrollment, due_in_days: i64| NewOrder {
        source: "shop".into(),
        external_ref: r.into(),
        product: p.into(),
        quantity: q,
        price_minor: price,
        artisan_id: Some(a.account_id.clone()),
        due_date: Some(Day(today.0 + due_in_days).to_string()),
        product_id: None,
    };
    orders::import(
        db,
        &op,
        &[
            order("SHOP-1001", "Kiondo basket", 3, 250_000, &a1, 7),
            order("SHOP-1002", "Beaded necklace", 10, 120_000, &a2, 3),
            order("SHOP-1003", "Olive wood bowl", 2, 180_000, &a1, -2),
        ],
    )?;
    for (who, e) in
        [("operations", &ops), ("mentor", &mentor), ("staff", &staff), ("artisan Akinyi", &a1), ("artisan Baraka", &a2)]
    {
        println!("demo: {who:<16} account {} enrollment code {}", e.account_id, e.code);
    }
    // A console sign-in for each role that has one, set through the real setup-code path.
    for (login, e) in [("operations", &ops), ("mentor", &mentor), ("staff", &staff)] {
        let password = crate::store::random_secret()[..16].to_string();
        let hash = console::hash_password(&password)?;
        db.write(|tx| {
            let code = console::issue_setup_code(tx, &op, &e.account_id)?;
            console::set_password(tx, &code, login, &hash)
        })?;
        println!("demo: console sign-in    login {login:<10} password {password}");
    }
    // A shop that may send orders by the webhook (ADR 0026): it signs them with this secret.
    let shop = db.write(|tx| shops::add(tx, &op, "Demo web shop"))?;
    println!("demo: web shop           id {} secret {}", shop.id, shop.secret);
    Ok(())
}
