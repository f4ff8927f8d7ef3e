//! The depot's store as the protocol's [`DepotFacts`]: what the pure rules of
//! `fundi_sync::depot` ask about records, accounts (and the depot each belongs to), pruned
//! tombstones and blobs, answered from SQLite (and, for a push, the blob files). Shared by the push, the scope changes and the
//! relation checks of accounts, so none of them depends on another for it.

use super::blobs::BlobDir;
use super::{get_record, ApiError};
use crate::store::sql::{OptionalExtension, Tx};
use fundi_sync::depot::{AccountFacts, DepotFacts, StoredRecord};
use fundi_sync::{Kind, Role};

/// The depot's tables as the protocol's [`DepotFacts`].
pub(crate) struct SqlFacts<'a, 'c>(pub &'a Tx<'c>);

/// What a push is decided against: the tables, and the blob files (a draft is approved only
/// once its photos arrived).
pub(crate) struct PushFacts<'a, 'c> {
    pub sql: SqlFacts<'a, 'c>,
    pub blobs: &'a BlobDir,
}

impl DepotFacts for PushFacts<'_, '_> {
    type Error = ApiError;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, ApiError> {
        self.sql.record(kind, id)
    }
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, ApiError> {
        self.sql.account(id)
    }
    fn pruned(&self, kind: Kind, id: &str) -> Result<bool, ApiError> {
        self.sql.pruned(kind, id)
    }
    fn blobs_missing(&self, hashes: &[String]) -> Result<Vec<String>, ApiError> {
        Ok(hashes.iter().filter(|h| !self.blobs.has(h)).cloned().collect())
    }
    fn same_depot(&self, staff: &str, owner: &str) -> Result<bool, ApiError> {
        self.sql.same_depot(staff, owner)
    }
}

impl DepotFacts for SqlFacts<'_, '_> {
    type Error = ApiError;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, ApiError> {
        get_record(self.0, kind.code(), id)
    }
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, ApiError> {
        let row: Option<(String, Option<String>)> = self
            .0
            .query_row("SELECT role, mentor_id FROM accounts WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(role, mentor_id)| AccountFacts { role: Role::from_code(&role).unwrap_or(Role::Artisan), mentor_id }))
    }
    fn pruned(&self, kind: Kind, id: &str) -> Result<bool, ApiError> {
        super::retention::is_pruned(self.0, kind, id)
    }
    /// Both accounts exist and belong to one depot (ADR 0030).
    fn same_depot(&self, staff: &str, owner: &str) -> Result<bool, ApiError> {
        Ok(self.0.query_row(
            "SELECT EXISTS (SELECT 1 FROM accounts s JOIN accounts o ON o.depot_id = s.depot_id WHERE s.id = ?1 AND o.id = ?2)",
            [staff, owner],
            |r| r.get(0),
        )?)
    }
}
