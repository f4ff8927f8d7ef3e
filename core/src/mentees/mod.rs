//! A mentor's mentees: who they are and how each stands (her phone enrolled or a code waiting,
//! when her phone last reached the depot, her drafts waiting for review, her late orders, her
//! phones by id for revoking a lost one). The depot's list is
//! fetched at each of the mentor's syncs (`replica::engine`) and kept here so it shows offline;
//! the drafts waiting are counted from the drafts this phone holds for review.

pub(crate) mod db;

use crate::error::Result;
use crate::Store;
pub use fundi_sync::MenteeDevice;

/// One mentee as the mentor's screen shows her.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenteeView {
    pub account_id: String,
    pub name: String,
    /// Her phones enrolled and not revoked (0: not enrolled yet, or her phone was revoked).
    pub phones: u32,
    /// A one-time code issued for her that is neither used nor expired.
    pub code_waiting: bool,
    /// When one of her phones last reached the depot, as of this phone's last sync.
    pub last_seen_ms: Option<u64>,
    /// Her drafts waiting for this mentor's review.
    pub drafts_waiting: u32,
    /// Her orders past their due day that she still owes, as of this phone's last sync.
    pub late_orders: u32,
    /// Her phones (enrolled, not revoked), most recently seen first: one can be revoked by its id.
    pub devices: Vec<MenteeDevice>,
}

impl Store {
    /// This mentor's mentees by name, as of the last sync (empty for other roles).
    pub fn mentees(&self) -> Result<Vec<MenteeView>> {
        let waiting = self.drafts_waiting_by_owner()?;
        Ok(self
            .read(db::list)?
            .into_iter()
            .map(|m| MenteeView {
                drafts_waiting: waiting.get(&m.account_id).copied().unwrap_or(0),
                account_id: m.account_id,
                name: m.name,
                phones: m.phones,
                code_waiting: m.code_waiting,
                last_seen_ms: m.last_seen_ms,
                late_orders: m.late_orders,
                devices: m.devices,
            })
            .collect())
    }
}
