//! Payouts by M-Pesa B2C through Safaricom's Daraja API (issue 11, ADR 0016): the depot's client
//! and a simulator of Daraja that the tests and the demo talk to exactly as to the real service
//! (only the base URL differs).
//!
//! - `wire`: Daraja's JSON shapes as documented, and what a result callback means
//!   ([`wire::B2cOutcome`], [`wire::StatusOutcome`]).
//! - `amount`: whole shillings from the project's minor units ([`amount::WholeKes`]) and phone
//!   numbers ([`amount::Msisdn`]), with typed errors.
//! - `credential`: the `SecurityCredential` (the initiator password encrypted with Safaricom's
//!   certificate) and the simulator's own key pair.
//! - `client`: [`client::MpesaClient`] over [`client::MpesaConfig`]: the OAuth token cached and
//!   refreshed, `send_b2c` and `query_status`, and errors that tell "definitely not accepted"
//!   from "unknown, reconcile before any resend".
//! - `sim`: the simulator's HTTP server (`fundi-depot mpesa-sim`).
//!
//! Nothing here touches the depot's store: the payout state machine, built on this client,
//! persists each payout before every external call.

pub mod amount;
pub mod client;
pub mod credential;
pub mod sim;
pub mod wire;

/// Largest answer body read from Daraja (or from a callback sender): Daraja's answers are a few
/// hundred bytes; anything longer is refused, not buffered.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A secret from configuration (consumer secret, initiator password): its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The secret itself, for the one place that sends or encrypts it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}
