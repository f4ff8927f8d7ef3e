//! What can go wrong in a sync, as the UI acts on it, and what a sync cost on the wire. Kept
//! apart from the HTTP client so that a build without it (the depot's) still names them.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("this phone is not enrolled with a depot")]
    NotEnrolled,
    /// No connection, a timeout, or the connection dropped: try again later.
    #[error("depot unreachable: {0}")]
    Offline(String),
    /// The credential was refused (`unauthorized`, `token_expired`, `revoked`): enroll again.
    #[error("credential refused: {code}")]
    Unauthorized { code: String },
    /// The depot refused the request as a whole.
    #[error("depot refused the request ({status} {code}): {detail}")]
    Server { status: u16, code: String, detail: String },
    /// The depot's answer could not be understood.
    #[error("bad answer from the depot: {0}")]
    Protocol(String),
}

/// What a sync cost on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}
