//! Shared by the integration tests: a real `fundi-depot serve` process on a loopback port with
//! its own data directory, accounts made with the real `enroll` subcommand, and phones that are
//! real fundi-core stores in their own SQLite files, enrolled over HTTP.
#![allow(dead_code)]

use fundi_core::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_fundi-depot");

pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("depot"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fundi-depot serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Server { url: format!("http://{addr}"), child, dir }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("depot")
    }

    /// Create an account with the real command line; returns (account id, enrollment code).
    pub fn account(&self, role: &str, name: &str, mentor: Option<&str>) -> (String, String) {
        let mut cmd = Command::new(BIN);
        cmd.args(["enroll", "--json", "--role", role, "--name", name, "--data-dir"]).arg(self.data_dir());
        if let Some(m) = mentor {
            cmd.args(["--mentor", m]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "enroll failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (v["account_id"].as_str().unwrap().into(), v["code"].as_str().unwrap().into())
    }

    /// A phone of a new account of `role`: (store, account id).
    pub fn phone(&self, role: &str, name: &str, mentor: Option<&str>) -> (Store, String) {
        let (id, code) = self.account(role, name, mentor);
        let path = self.dir.path().join(format!("{name}.db"));
        let store = Store::open(&path).unwrap();
        store.enroll_device(&self.url, &code).unwrap();
        (store, id)
    }

    /// Run the command line on this server's data directory.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(BIN).args(args).arg("--data-dir").arg(self.data_dir()).output().unwrap();
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Import orders from a CSV written to a temp file.
    pub fn import_csv(&self, csv: &str) -> String {
        let path = self.dir.path().join(format!("orders-{}.csv", uuid_like()));
        std::fs::write(&path, csv).unwrap();
        self.cli(&["import-orders", path.to_str().unwrap()])
    }

    /// Raw HTTP with a bearer token.
    pub fn http(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::new()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn uuid_like() -> String {
    fundi_core::ids::new_id()
}

pub fn db_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.db"))
}
