//! What a sync cost on the wire (kept apart from the HTTP client so that a build without it,
//! the depot's, still names it). The typed sync errors live with the core's error.

/// What a sync cost on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl WireStats {
    /// What was added since `earlier` (a snapshot of the same counters).
    pub fn since(self, earlier: WireStats) -> WireStats {
        WireStats {
            round_trips: self.round_trips.saturating_sub(earlier.round_trips),
            bytes_sent: self.bytes_sent.saturating_sub(earlier.bytes_sent),
            bytes_received: self.bytes_received.saturating_sub(earlier.bytes_received),
        }
    }

    pub fn plus(self, other: WireStats) -> WireStats {
        WireStats {
            round_trips: self.round_trips.saturating_add(other.round_trips),
            bytes_sent: self.bytes_sent.saturating_add(other.bytes_sent),
            bytes_received: self.bytes_received.saturating_add(other.bytes_received),
        }
    }
}
