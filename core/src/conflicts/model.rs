//! A conflict as the UI shows it.

/// A field's losing value (restore it or keep the current one), a change of this phone's that
/// the depot refused (retry or discard it; id `outbox:N`), or one of this account's other
/// device (dismiss it).
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictItem {
    pub id: String,
    pub kind: String,
    pub record_id: String,
    pub field: Option<String>,
    /// The losing value (JSON text), or what the refused change asked for.
    pub value: Option<String>,
    /// Why the depot refused (refusals only).
    pub reason: Option<String>,
    /// For a field's losing value: how many older concurrent values of the field were not kept
    /// (a field keeps at most 8; the UI says "N older versions not kept"). 0 otherwise.
    pub folded: u32,
}
