//! Sync across the FFI: `SyncStore` (enroll, sync now, state, outbox, conflicts, orders,
//! review, stock) over the same database file as `DraftStore`. Thin: convert and call core.

use crate::error::FundiError;
use fundi_core::replica as core;
use fundi_sync::workflow::{DraftCommand, OrderCommand, OrderStatus};
use fundi_sync::Role;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UserRole {
    Artisan,
    Mentor,
    Staff,
    Operations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStage {
    Pushing,
    Pulling,
    Done,
}

/// Told how a sync goes; called on the thread that runs `sync_now`.
#[uniffi::export(with_foreign)]
pub trait SyncProgressListener: Send + Sync {
    fn on_progress(&self, stage: SyncStage, done: u32, total: u32);
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct EnrollmentRecord {
    pub account_id: String,
    pub role: UserRole,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    pub pushed: u32,
    pub refused: u32,
    pub pulled: u32,
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncStateRecord {
    pub enrolled: bool,
    pub role: Option<UserRole>,
    pub account_id: Option<String>,
    pub pending: u32,
    pub wedged: u32,
    pub conflicts: u32,
    pub last_sync_ms: Option<u64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxEntry {
    pub counter: u64,
    pub kind: String,
    pub record_id: String,
    pub summary: String,
    /// Set when the depot refused the change: why (retry or discard it).
    pub wedged_reason: Option<String>,
    pub attempts: u32,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ConflictRecord {
    pub id: String,
    pub kind: String,
    pub record_id: String,
    pub field: Option<String>,
    pub value: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderState {
    New,
    Assigned,
    Accepted,
    Declined,
    InProduction,
    ReadyForPickup,
    Received,
    QcPassed,
    QcFailed,
    Shipped,
    Delivered,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderAction {
    Accept,
    Decline,
    StartProduction,
    MarkReady,
    Receive,
    QcPass,
    QcFail,
    Rework,
    Ship,
    Deliver,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReviewAction {
    Approve,
    RequestChanges,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderRecord {
    pub id: String,
    /// What to show: the depot's state with this phone's pending commands applied.
    pub state: OrderState,
    pub server_state: OrderState,
    pub pending_commands: u32,
    pub product: String,
    pub quantity: u32,
    pub price_minor: i64,
    pub external_ref: String,
    pub note: Option<String>,
    pub updated_at_ms: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct StockRecord {
    pub product_id: String,
    pub title: Option<String>,
    pub quantity: i64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ReviewDraftRecord {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub state: crate::DraftState,
}

struct Listener(Arc<dyn SyncProgressListener>);
impl core::SyncListener for Listener {
    fn on_progress(&self, phase: core::SyncPhase, done: u32, total: u32) {
        let stage = match phase {
            core::SyncPhase::Pushing => SyncStage::Pushing,
            core::SyncPhase::Pulling => SyncStage::Pulling,
            core::SyncPhase::Done => SyncStage::Done,
        };
        self.0.on_progress(stage, done, total)
    }
}

/// The sync side of a phone's database. Calls block on SQLite and the network: call them off
/// the main thread.
#[derive(uniffi::Object)]
pub struct SyncStore {
    inner: fundi_core::Store,
}

#[uniffi::export]
impl SyncStore {
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, FundiError> {
        Ok(Arc::new(SyncStore { inner: fundi_core::Store::open(path)? }))
    }

    pub fn enroll(&self, server_url: String, code: String) -> Result<EnrollmentRecord, FundiError> {
        let e = self.inner.enroll_device(&server_url, &code)?;
        Ok(EnrollmentRecord { account_id: e.account_id, role: e.role.into() })
    }

    pub fn sync_now(&self, listener: Option<Arc<dyn SyncProgressListener>>) -> Result<SyncSummary, FundiError> {
        let l = listener.map(Listener);
        let r = self.inner.sync_now(l.as_ref().map(|l| l as &dyn core::SyncListener))?;
        Ok(SyncSummary {
            pushed: r.pushed,
            refused: r.refused,
            pulled: r.pulled,
            round_trips: r.wire.round_trips,
            bytes_sent: r.wire.bytes_sent,
            bytes_received: r.wire.bytes_received,
        })
    }

    pub fn state(&self) -> Result<SyncStateRecord, FundiError> {
        let s = self.inner.sync_status()?;
        Ok(SyncStateRecord {
            enrolled: s.enrolled,
            role: s.role.map(Into::into),
            account_id: s.account_id,
            pending: s.pending,
            wedged: s.wedged,
            conflicts: s.conflicts,
            last_sync_ms: s.last_sync_ms,
            last_error: s.last_error,
        })
    }

    pub fn pending_count(&self) -> Result<u32, FundiError> {
        Ok(self.inner.pending_count()?)
    }

    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, FundiError> {
        Ok(self.inner.outbox_items()?.into_iter().map(Into::into).collect())
    }

    pub fn retry(&self, counter: u64) -> Result<(), FundiError> {
        Ok(self.inner.retry_outbox_item(counter)?)
    }

    pub fn discard(&self, counter: u64) -> Result<(), FundiError> {
        Ok(self.inner.discard_outbox_item(counter)?)
    }

    pub fn conflicts(&self) -> Result<Vec<ConflictRecord>, FundiError> {
        Ok(self.inner.list_conflicts()?.into_iter().map(Into::into).collect())
    }

    /// `restore`: put the losing value back; otherwise keep the current one.
    pub fn resolve_conflict(&self, id: String, restore: bool) -> Result<(), FundiError> {
        Ok(self.inner.resolve_conflict(&id, restore)?)
    }

    pub fn orders(&self) -> Result<Vec<OrderRecord>, FundiError> {
        Ok(self.inner.list_orders()?.into_iter().map(Into::into).collect())
    }

    pub fn order_command(&self, id: String, action: OrderAction, reason: Option<String>) -> Result<OrderRecord, FundiError> {
        Ok(self.inner.order_command(&id, action.into(), reason)?.into())
    }

    pub fn review_drafts(&self) -> Result<Vec<ReviewDraftRecord>, FundiError> {
        Ok(self
            .inner
            .list_review_drafts()?
            .into_iter()
            .map(|d| ReviewDraftRecord { id: d.id, owner: d.owner, title: d.title, state: d.status.into() })
            .collect())
    }

    pub fn review_draft(&self, id: String, action: ReviewAction, note: Option<String>) -> Result<(), FundiError> {
        let cmd = match action {
            ReviewAction::Approve => DraftCommand::Approve,
            ReviewAction::RequestChanges => DraftCommand::RequestChanges,
        };
        Ok(self.inner.review_draft(&id, cmd, note)?)
    }

    pub fn stock(&self) -> Result<Vec<StockRecord>, FundiError> {
        Ok(self
            .inner
            .stock_levels()?
            .into_iter()
            .map(|s| StockRecord { product_id: s.product_id, title: s.title, quantity: s.quantity })
            .collect())
    }

    pub fn record_stock(&self, product_id: String, delta: i64, reason: String) -> Result<(), FundiError> {
        Ok(self.inner.record_stock(&product_id, delta, &reason)?)
    }

    /// Create an account and its one-time code (a mentor for a mentee, staff for an artisan,
    /// operations for anyone). Needs the network.
    pub fn create_enrollment(&self, role: UserRole, name: String) -> Result<NewEnrollmentRecord, FundiError> {
        let e = self.inner.create_enrollment(role.into(), &name)?;
        Ok(NewEnrollmentRecord { account_id: e.account_id, code: e.code, expires_ms: e.expires_ms })
    }

    /// Revoke a lost phone by its device id. Needs the network.
    pub fn revoke_device(&self, device_id: String) -> Result<(), FundiError> {
        Ok(self.inner.revoke_device(&device_id)?)
    }

    /// This phone's permanent device id.
    pub fn device_id(&self) -> Result<String, FundiError> {
        Ok(self.inner.device_id()?)
    }

    /// A profile's text fields (own, or a mentee's for a mentor), null if never synced or set.
    pub fn profile(&self, account_id: String) -> Result<Option<ProfileRecord>, FundiError> {
        Ok(self.inner.profile(&account_id)?.map(|p| {
            let text = |f: &str| p.doc.value(f).and_then(|v| v.as_str()).map(String::from);
            ProfileRecord { account_id, display_name: text("display_name"), location: text("location"), phone: text("phone") }
        }))
    }

    /// Set one text field of a profile (`display_name`, `location`, `phone`).
    pub fn set_profile_text(&self, account_id: String, field: String, value: String) -> Result<(), FundiError> {
        Ok(self.inner.set_profile_field(&account_id, &field, value.into())?)
    }

    /// Close the database; later calls fail with `FundiError.Closed`. (Not `close`: that name
    /// is the generated class's AutoCloseable method.)
    pub fn close_database(&self) -> Result<(), FundiError> {
        Ok(self.inner.close()?)
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct NewEnrollmentRecord {
    pub account_id: String,
    /// Typed into the new phone once; valid 7 days.
    pub code: String,
    pub expires_ms: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ProfileRecord {
    pub account_id: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub phone: Option<String>,
}

impl From<UserRole> for Role {
    fn from(r: UserRole) -> Self {
        match r {
            UserRole::Artisan => Role::Artisan,
            UserRole::Mentor => Role::Mentor,
            UserRole::Staff => Role::Staff,
            UserRole::Operations => Role::Operations,
        }
    }
}

impl From<Role> for UserRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Artisan => UserRole::Artisan,
            Role::Mentor => UserRole::Mentor,
            Role::Staff => UserRole::Staff,
            Role::Operations => UserRole::Operations,
        }
    }
}

impl From<OrderStatus> for OrderState {
    fn from(s: OrderStatus) -> Self {
        use OrderStatus as S;
        match s {
            S::New => Self::New,
            S::Assigned => Self::Assigned,
            S::Accepted => Self::Accepted,
            S::Declined => Self::Declined,
            S::InProduction => Self::InProduction,
            S::ReadyForPickup => Self::ReadyForPickup,
            S::Received => Self::Received,
            S::QcPassed => Self::QcPassed,
            S::QcFailed => Self::QcFailed,
            S::Shipped => Self::Shipped,
            S::Delivered => Self::Delivered,
            S::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OrderAction> for OrderCommand {
    fn from(a: OrderAction) -> Self {
        use OrderAction as A;
        match a {
            A::Accept => Self::Accept,
            A::Decline => Self::Decline,
            A::StartProduction => Self::StartProduction,
            A::MarkReady => Self::MarkReady,
            A::Receive => Self::Receive,
            A::QcPass => Self::QcPass,
            A::QcFail => Self::QcFail,
            A::Rework => Self::Rework,
            A::Ship => Self::Ship,
            A::Deliver => Self::Deliver,
            A::Cancel => Self::Cancel,
        }
    }
}

impl From<core::OrderView> for OrderRecord {
    fn from(o: core::OrderView) -> Self {
        OrderRecord {
            id: o.id,
            state: o.status.into(),
            server_state: o.server_status.into(),
            pending_commands: o.pending_commands.len() as u32,
            product: o.product,
            quantity: o.quantity,
            price_minor: o.price_minor,
            external_ref: o.external_ref,
            note: o.note,
            updated_at_ms: o.updated_at_ms,
        }
    }
}

impl From<fundi_core::outbox::OutboxItem> for OutboxEntry {
    fn from(i: fundi_core::outbox::OutboxItem) -> Self {
        OutboxEntry {
            counter: i.counter,
            kind: i.kind,
            record_id: i.record_id,
            summary: i.summary,
            wedged_reason: match i.state {
                fundi_core::outbox::ItemState::Wedged { reason } => Some(reason),
                fundi_core::outbox::ItemState::Pending => None,
            },
            attempts: i.attempts,
        }
    }
}

impl From<core::ConflictItem> for ConflictRecord {
    fn from(c: core::ConflictItem) -> Self {
        ConflictRecord { id: c.id, kind: c.kind, record_id: c.record_id, field: c.field, value: c.value, reason: c.reason }
    }
}
