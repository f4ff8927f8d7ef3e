//! The PostgreSQL cluster of the tests (issue 13, ADR 0029): `FUNDI_TEST_PG_URL`, else the
//! throwaway one `scripts/pg start` runs on loopback (`test-all` starts it, and stops it after),
//! and a new empty database on it for each test.

use postgres::{Client, NoTls};
use std::process::Command;

/// The cluster's URL (its `postgres` database), started once per test process.
pub fn cluster_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("FUNDI_TEST_PG_URL") {
            return url;
        }
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg");
        let out = Command::new(&script).arg("start").output().expect("run scripts/pg start");
        assert!(out.status.success(), "scripts/pg start: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .clone()
}

/// A new empty database of its own on the cluster, named `{prefix}_{uuid}`: its URL.
pub fn fresh_database(prefix: &str) -> String {
    let url = cluster_url();
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    Client::connect(&url, NoTls).expect("connect to the test cluster").batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

pub fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}
