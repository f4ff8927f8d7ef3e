//! The device token and the token vault: only sealed bytes reach the database file, enrollment
//! and rotation seal through the vault, a vault that can no longer open the token is the typed
//! "enroll again" state with the unsynced changes kept, and a clear token left by an older
//! version is sealed at the first open.

use super::*;
use crate::account::{CredentialLoss, TokenVault, VaultError};
use crate::drafts::NewDraft;
use crate::storage::schema;
use crate::Error;
use fundi_sync::drafts::Category;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// A vault for tests: "seals" by XOR with its key and a key tag in front (nothing like real
/// crypto, but the token's bytes never appear as they are). Its key can be swapped, lost or made
/// to fail, and it remembers every token it sealed.
struct TestVault {
    key: AtomicU8,
    mode: Mutex<Mode>,
    sealed: Mutex<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Works,
    KeyGone,
    Fails,
}

impl TestVault {
    fn new(key: u8) -> Arc<TestVault> {
        Arc::new(TestVault { key: AtomicU8::new(key), mode: Mutex::new(Mode::Works), sealed: Mutex::new(vec![]) })
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn check(&self) -> Result<u8, VaultError> {
        match *self.mode.lock().unwrap() {
            Mode::Works => Ok(self.key.load(Ordering::SeqCst)),
            Mode::KeyGone => Err(VaultError::KeyGone),
            Mode::Fails => Err(VaultError::Failed("keystore busy".into())),
        }
    }

    fn seals(&self) -> Vec<String> {
        self.sealed.lock().unwrap().clone()
    }
}

impl TokenVault for TestVault {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key = self.check()?;
        self.sealed.lock().unwrap().push(String::from_utf8(plain.to_vec()).unwrap());
        Ok(std::iter::once(key).chain(plain.iter().map(|b| b ^ key)).collect())
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key = self.check()?;
        match sealed.split_first() {
            Some((&tag, rest)) if tag == key => Ok(rest.iter().map(|b| b ^ key).collect()),
            _ => Err(VaultError::Unreadable),
        }
    }
}

const TOKEN: &str = "tok-enrolled-5a1f0c3e9b7d4e21";
const ROTATED: &str = "tok-rotated-88c2d6f1a0b34e97";

fn credential(token: &str) -> DeviceCredential {
    DeviceCredential {
        account_id: "wanjiku".into(),
        role: Role::Artisan,
        device_id: "d".into(),
        token: token.into(),
        token_expires_ms: u64::MAX / 2,
    }
}

/// Enroll as `enroll_device` does once the depot has answered.
fn enroll(store: &Store, token: &str) {
    let key = KeyFingerprint::of_spki(b"depot");
    let depot = account::db::PinnedDepot { url: "https://depot.example", key: &key, cert: b"cert" };
    store.keep_credential(depot, &credential(token), Timestamp { wall_ms: wall_clock_ms(), counter: 0, node: 1 }).unwrap();
}

/// Every byte of the database, its write-ahead log and its journal, as on the phone's disk.
fn file_bytes(db: &Path) -> Vec<u8> {
    ["", "-wal", "-journal"].iter().flat_map(|ext| std::fs::read(format!("{}{ext}", db.display())).unwrap_or_default()).collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn basket() -> NewDraft {
    NewDraft {
        title: "Kiondo".into(),
        description: "Sisal".into(),
        materials: vec!["sisal".into()],
        category: Category::Baskets,
        price_minor: 150_000,
        weekly_capacity: 3,
    }
}

#[test]
fn the_token_reaches_the_file_only_sealed_and_rotation_goes_through_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fundi.db");
    let vault = TestVault::new(0x5c);
    let store = Store::open_with_vault(&db, vault.clone()).unwrap();
    enroll(&store, TOKEN);
    assert_eq!(store.session().unwrap().token, TOKEN);
    store.keep_rotated_token(&RotatedToken { token: ROTATED.into(), token_expires_ms: u64::MAX / 2 }).unwrap();
    assert_eq!(store.session().unwrap().token, ROTATED, "the rotated token is the one opened");
    assert_eq!(vault.seals(), [TOKEN, ROTATED], "enrollment and rotation each sealed through the vault");
    // Checked with the log still open (what a copy of the files taken now would hold) and after
    // the last checkpoint.
    for when in ["open", "closed"] {
        let bytes = file_bytes(&db);
        assert!(bytes.len() > 4096, "{when}: the file was read");
        assert!(!contains(&bytes, TOKEN) && !contains(&bytes, ROTATED), "{when}: a token is in the file in clear");
        store.close().unwrap();
    }
}

#[test]
fn a_vault_that_cannot_open_the_token_is_enroll_again_with_the_changes_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fundi.db");
    let vault = TestVault::new(0x21);
    let store = Store::open_with_vault(&db, vault.clone()).unwrap();
    enroll(&store, TOKEN);
    store.create_draft(basket()).unwrap();
    let pending = store.read(outbox::pending_count).unwrap();
    assert!(pending > 0);

    // Another key (the app restored onto another phone and a new key made there).
    vault.key.store(0x22, Ordering::SeqCst);
    let lost = |e: Error| match e {
        Error::Sync(SyncError::CredentialLost(reason)) => reason,
        other => panic!("expected CredentialLost, got {other:?}"),
    };
    assert_eq!(lost(store.sync_now(None).unwrap_err()), CredentialLoss::Unreadable);
    assert_eq!(lost(store.sync_estimate(true, false).unwrap_err()), CredentialLoss::Unreadable);
    // The key itself gone (a keystore reset).
    vault.set(Mode::KeyGone);
    assert_eq!(lost(store.sync_now(None).unwrap_err()), CredentialLoss::KeyGone);
    // A vault failing once is not "enroll again": try later.
    vault.set(Mode::Fails);
    assert!(matches!(store.sync_now(None), Err(Error::Sync(SyncError::VaultFailed(_)))));
    // Nothing was lost meanwhile, and the status still answers (the screen can show both).
    assert_eq!(store.read(outbox::pending_count).unwrap(), pending);
    assert!(store.sync_status().unwrap().enrolled);

    // Enrolling again seals the new token with the vault's current key; the changes wait for it.
    vault.set(Mode::Works);
    enroll(&store, ROTATED);
    assert_eq!(store.session().unwrap().token, ROTATED);
    assert_eq!(store.read(outbox::pending_count).unwrap(), pending);
}

#[test]
fn a_vault_failing_at_enrollment_stores_nothing() {
    let vault = TestVault::new(7);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_vault(dir.path().join("fundi.db"), vault.clone()).unwrap();
    vault.set(Mode::Fails);
    let key = KeyFingerprint::of_spki(b"depot");
    let depot = account::db::PinnedDepot { url: "https://depot.example", key: &key, cert: b"cert" };
    let e = store.keep_credential(depot, &credential(TOKEN), Timestamp::default()).unwrap_err();
    assert!(matches!(e, Error::Sync(SyncError::VaultFailed(_))), "{e:?}");
    assert!(!store.sync_status().unwrap().enrolled);
}

/// A phone enrolled by a version before migration 015 holds its token in clear (and, from every
/// rewrite of the row, stale copies of it in freed space). The first open with a vault seals it,
/// and no copy is left in the file; the session goes on with the same token.
#[test]
fn a_clear_token_from_an_older_version_is_sealed_at_the_first_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fundi.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        schema::migrate_to(&conn, 14).unwrap();
        account::db::older_clear_session_for_test(&conn, TOKEN, &KeyFingerprint::of_spki(b"depot")).unwrap();
    }
    assert!(contains(&file_bytes(&db), TOKEN), "the older version's file holds the token in clear");

    // A vault failing at that first open: the open still succeeds and the clear token still works.
    let vault = TestVault::new(0x3a);
    vault.set(Mode::Fails);
    let store = Store::open_with_vault(&db, vault.clone()).unwrap();
    assert_eq!(store.session().unwrap().token, TOKEN);
    store.close().unwrap();

    vault.set(Mode::Works);
    let store = Store::open_with_vault(&db, vault.clone()).unwrap();
    assert_eq!(vault.seals(), [TOKEN], "sealed once, at this open");
    assert!(!contains(&file_bytes(&db), TOKEN), "a copy of the clear token is left in the file");
    assert_eq!(store.session().unwrap().token, TOKEN, "the same credential goes on");
    assert_eq!(store.session().unwrap().cursor, 49);
    store.close().unwrap();
    // Later opens have nothing to seal.
    let _store = Store::open_with_vault(&db, vault.clone()).unwrap();
    assert_eq!(vault.seals().len(), 1);
}
