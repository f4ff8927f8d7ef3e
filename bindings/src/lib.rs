//! fundi-ffi: what Kotlin sees of fundi-core. Every function here converts its arguments, calls
//! core once, and converts the result; logic found here belongs in core.
//!
//! Files: `error.rs` (the one public error), `drafts.rs` (draft records and the store object),
//! `money.rs` (price formatting and parsing), `photos.rs` (the photo library and a draft's photos),
//! `sync.rs` (enrollment, sync, orders, stock, conflicts).

uniffi::setup_scaffolding!("fundi");

mod drafts;
mod error;
mod money;
mod photos;
mod sync;

pub use drafts::*;
pub use error::*;
pub use money::*;
pub use photos::*;
pub use sync::*;
