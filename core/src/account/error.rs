//! What a sync cost on the wire (kept apart from the HTTP client so that a build without it,
//! the depot's, still names it). The typed sync errors live with the core's error.

/// What a sync cost on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}
