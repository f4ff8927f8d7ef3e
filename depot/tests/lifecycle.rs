//! The server process's life around its store: it stops cleanly on SIGTERM (what service
//! managers and `docker stop` send) as on Ctrl-C, keeping every acknowledged write, and it
//! refuses a data directory written by a newer server without changing a byte of it.

mod common;
use common::{basket, DepotDb, Server, BIN};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Generous for a loaded CI machine; a server that ignores the signal never exits at all.
const PROMPTLY: Duration = Duration::from_secs(15);

fn count(db: &DepotDb, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A phone syncs a draft, the server gets `signal`, and must exit 0 with the draft stored, its
/// store closed cleanly (SQLite removes the WAL file only when the last connection closes; on
/// PostgreSQL, the server holds no connection any more), and the store usable by the next
/// process.
fn stops_cleanly_on(signal: &str) {
    let mut server = Server::start();
    let (phone, _) = server.phone("artisan", "akinyi", None);
    let draft = phone.create_draft(basket()).unwrap();
    phone.sync_now(None).unwrap();

    server.signal(signal);
    let status = server.wait_exit(PROMPTLY);
    assert_eq!(status.code(), Some(0), "SIG{signal} must stop the server gracefully, got {status}");

    let db = server.db();
    if db.is_postgres() {
        let others = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        assert_eq!(count(&db, others), 0, "the server left connections open");
    } else {
        assert!(!server.data_dir().join("depot.db-wal").exists(), "the store was not closed cleanly");
    }
    assert_eq!(db.integrity(), "ok");
    let stored = count(&db, &format!("SELECT COUNT(*) FROM records WHERE kind = 'draft' AND id = '{}'", draft.id));
    assert_eq!(stored, 1, "the synced draft survived the stop");
    // The next process opens the same store (the command line goes through the same open).
    server.account("mentor", "wanjiru", None);
}

#[test]
fn sigterm_stops_the_server_cleanly_with_its_data_intact() {
    stops_cleanly_on("TERM");
}

#[test]
fn sigint_stops_the_server_the_same_way() {
    stops_cleanly_on("INT");
}

/// What a data directory holds, byte for byte.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn a_data_dir_written_by_a_newer_server_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("depot");
    common::depot_db::new_data_dir(&dir);
    let enroll = |name: &str| {
        Command::new(BIN)
            .args(["enroll", "--json", "--role", "artisan", "--name", name, "--data-dir"])
            .arg(&dir)
            .output()
            .unwrap()
    };
    assert!(enroll("akinyi").status.success());
    // A newer server would have migrated further; its version number is all this one sees.
    // (Each look at the store is a connection closed again: the last one to close a SQLite
    // file folds its WAL into it, so the files are compared as no connection holds them.)
    let db = DepotDb::open(&dir);
    let version = if db.is_postgres() { "SELECT version FROM schema_version" } else { "PRAGMA user_version" };
    let newer = count(&db, version) + 1;
    if db.is_postgres() {
        db.execute("UPDATE schema_version SET version = ?1", [newer]).unwrap();
    } else {
        db.execute_batch(&format!("PRAGMA user_version = {newer}")).unwrap();
    }
    let rows_before = db.rows_as_text("SELECT * FROM accounts");
    drop(db);
    let files_before = snapshot(&dir);

    let mut serve = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = common::wait_exit(&mut serve, PROMPTLY);
    let mut stderr = String::new();
    serve.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!status.success(), "a newer store must be refused");
    assert!(stderr.contains("newer_schema") && stderr.contains(&format!("schema version {newer}")), "{stderr}");

    // The command line opens the store the same way, and is refused the same way.
    let out = enroll("baraka");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer_schema"));

    assert_eq!(snapshot(&dir), files_before, "the data directory was changed");
    let db = DepotDb::open(&dir);
    assert_eq!(db.rows_as_text("SELECT * FROM accounts"), rows_before, "the store was changed");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts"), 1);
    assert_eq!(count(&db, version), newer);
}
