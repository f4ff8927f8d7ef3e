//! fundi-ffi: what Kotlin sees of fundi-core. Every function here converts its arguments, calls
//! core once, and converts the result; logic found here belongs in core.
//!
//! One handle: [`FundiPhone`] opens the phone's database once and hands out a service per
//! feature ([`DraftService`], [`PhotoService`], [`SyncService`]), each holding the same
//! `Arc<fundi_core::Store>`, so the file has one connection (the one-writer rule).
//!
//! Names are the core's: a type crossing the FFI unchanged is declared as a uniffi *remote*
//! type (`#[uniffi::remote(...)]`: the core's own type, described again here because the core
//! crates know nothing of uniffi; the compiler checks the description against the real type).
//! Only where the shape must differ is there a separate type (`FundiError`, `PhotoProblem`,
//! `ProfileRecord`, the objects and the listener).
//!
//! Files, one per feature: `phone.rs` (the handle), `error.rs` (the one public error and its
//! reasons), `drafts.rs`, `photos.rs`, `money.rs`, `sync.rs` (enroll, sync, its state),
//! `outbox.rs` (outbox and conflicts), `orders.rs`, `review.rs`, `stock.rs`, `profiles.rs`,
//! `products.rs` (her published catalog),
//! `vault.rs` (the token vault Kotlin implements).

uniffi::setup_scaffolding!("fundi");

mod drafts;
mod earnings;
mod error;
mod mentees;
mod money;
mod orders;
mod outbox;
mod phone;
mod photos;
mod products;
mod profiles;
mod review;
mod stock;
mod sync;
mod vault;

pub use drafts::*;
pub use error::*;
pub use money::*;
pub use orders::*;
pub use outbox::*;
pub use phone::*;
pub use photos::*;
pub use products::*;
pub use profiles::*;
pub use review::*;
pub use stock::*;
pub use sync::*;
pub use vault::*;
