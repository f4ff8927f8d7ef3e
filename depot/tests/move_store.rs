//! Moving a depot between SQLite and PostgreSQL (issue 13 item 5, ADR 0029) with `export` and
//! `import`, on real processes: a depot on SQLite with phones that synced, stopped, its store
//! exported and imported into a PostgreSQL database in place (same data directory, so the same
//! key and blobs), started again. Every phone's cursor must still be right: its next sync pulls
//! nothing it already has (no full re-sync), and what is written after the move reaches it.
//! Then back again to a new SQLite store, and the refusals: a database that is not empty, a
//! file from another store, an export over an existing file.
//!
//! This test is about both stores at once, so it runs the same whichever store the suite is on.

mod common;
use common::{basket, Server, BIN};
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn depot(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = depot(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn refused(args: &[&str]) -> String {
    let out = depot(args);
    assert!(!out.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The cursor a phone's store holds.
fn cursor(phone_db: &Path) -> i64 {
    rusqlite::Connection::open(phone_db).unwrap().query_row("SELECT cursor FROM sync_state", [], |r| r.get(0)).unwrap()
}

/// An order for `artisan` imported by operations (the command line's CSV import).
fn import_order(s: &Server, artisan: &str, reference: &str) {
    s.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,{reference},Kiondo,1,250000,{artisan}\n"
    ));
}

/// Accept every order the phone holds assigned to it; how many.
fn accept_all(phone: &fundi_core::Store) -> usize {
    let assigned: Vec<String> =
        phone.list_orders().unwrap().into_iter().filter(|o| o.status == OrderStatus::Assigned).map(|o| o.id).collect();
    for id in &assigned {
        phone.order_command(id, OrderCommand::Accept, None).unwrap();
    }
    assigned.len()
}

fn stop(server: &mut Server) {
    server.signal("TERM");
    assert!(server.wait_exit(std::time::Duration::from_secs(15)).success());
}

#[test]
fn a_depot_moved_to_postgresql_and_back_keeps_every_phones_cursor() {
    let mut s = Server::start_on_sqlite();
    let (mentor, mentor_id) = s.phone("mentor", "wanjiru", None);
    let (akinyi, akinyi_id) = s.phone("artisan", "akinyi", Some(&mentor_id));
    let draft = akinyi.create_draft(basket()).unwrap();
    import_order(&s, &akinyi_id, "M-1");
    for phone in [&akinyi, &mentor] {
        phone.sync_now(None).unwrap();
    }
    assert_eq!(accept_all(&akinyi), 1);
    akinyi.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    let phone_dbs = [s.dir.path().join("akinyi.db"), s.dir.path().join("wanjiru.db")];
    let cursors: Vec<i64> = phone_dbs.iter().map(|d| cursor(d)).collect();
    let records = s.records();
    assert!(records.iter().any(|r| r.0 == "draft" && r.1 == draft.id));
    stop(&mut s);

    // To PostgreSQL, in place.
    let work = tempfile::tempdir().unwrap();
    let moved = work.path().join("moved.db");
    let exported: Value =
        serde_json::from_str(&ok(&["export", "--json", "--data-dir", p(&s.data_dir()), "--out", p(&moved)])).unwrap();
    assert!(exported["rows"].as_u64().unwrap() > records.len() as u64);
    assert!(refused(&["export", "--data-dir", p(&s.data_dir()), "--out", p(&moved)]).contains("exists already"));
    let database = common::pg::fresh_database("moved");
    let imported: Value = serde_json::from_str(&ok(&[
        "import",
        "--json",
        "--data-dir",
        p(&s.data_dir()),
        "--database",
        &database,
        "--from",
        p(&moved),
    ]))
    .unwrap();
    assert_eq!(imported, exported, "every table holds the same rows on both");
    assert!(s.data_dir().join("database.url").exists());
    assert!(!s.data_dir().join("depot.db").exists(), "the SQLite store is set aside");
    let aside: Vec<_> = std::fs::read_dir(s.data_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("depot.db.moved-"))
        .collect();
    assert_eq!(aside.len(), 1, "kept, not deleted");

    s.restart(&[]);
    assert!(s.db().is_postgres());
    assert_eq!(s.records(), records, "the feed as it was, seq for seq");
    for (phone, db) in [&akinyi, &mentor].into_iter().zip(&phone_dbs) {
        let report = phone.sync_now(None).unwrap();
        assert_eq!(report.pulled, 0, "nothing resent: the cursor means the same on the new store");
        assert_eq!(cursor(db), cursors[phone_dbs.iter().position(|d| d == db).unwrap()]);
    }
    // What is written after the move reaches the phones that may read it, and their writes
    // still apply (the device's counter goes on from where it was).
    import_order(&s, &akinyi_id, "M-2");
    assert_eq!(akinyi.sync_now(None).unwrap().pulled, 1);
    assert!(mentor.sync_now(None).unwrap().pulled >= 1);
    assert_eq!(accept_all(&akinyi), 1);
    assert_eq!(akinyi.sync_now(None).unwrap().pushed, 1);
    stop(&mut s);

    // A database that holds a store already is refused, and left as it was.
    let twice = refused(&["import", "--data-dir", p(&work.path().join("other")), "--database", &database, "--from", p(&moved)]);
    assert!(twice.contains("already holds"), "{twice}");
    // A file exported from another store does not replace a SQLite store it is not.
    let mut elsewhere = Server::start_on_sqlite();
    elsewhere.account("artisan", "baraka", None);
    assert!(refused(&["import", "--data-dir", p(&elsewhere.data_dir()), "--from", p(&moved)]).contains("stop it first"));
    stop(&mut elsewhere);
    let stranger = refused(&[
        "import",
        "--data-dir",
        p(&elsewhere.data_dir()),
        "--database",
        &common::pg::fresh_database("stranger"),
        "--from",
        p(&moved),
    ]);
    assert!(stranger.contains("is not the one"), "{stranger}");
    assert!(elsewhere.data_dir().join("depot.db").exists());

    // And back to SQLite, in a new data directory.
    let back = work.path().join("back.db");
    let exported_again: Value =
        serde_json::from_str(&ok(&["export", "--json", "--data-dir", p(&s.data_dir()), "--out", p(&back)])).unwrap();
    let fresh = work.path().join("sqlite-again");
    let imported_again: Value =
        serde_json::from_str(&ok(&["import", "--json", "--data-dir", p(&fresh), "--from", p(&back)])).unwrap();
    assert_eq!(imported_again, exported_again);
    assert!(fresh.join("depot.db").exists() && !fresh.join("database.url").exists());
    assert_eq!(
        common::DepotDb::open(&fresh).rows_as_text("SELECT kind, id, seq FROM records ORDER BY seq"),
        s.db().rows_as_text("SELECT kind, id, seq FROM records ORDER BY seq")
    );
}
