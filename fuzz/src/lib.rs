//! What the fuzz targets share (`fuzz_targets/*.rs`, one per surface of the hardening issue):
//!
//! - [`store`] and [`http`]: the depot's own modules, compiled here from the depot's source
//!   files. The depot is a binary crate with no library target, so this is the only way to run
//!   its body parsing, pull query parsing, enrollment and order import in-process; the code is
//!   the depot's, byte for byte (its `#[cfg(test)]` parts are left out, as in any non-test build).
//! - [`facts`]: the depot's rules (`fundi_sync::depot`) over an in-memory [`DepotFacts`], with
//!   decisions stored the way the depot stores them (through their JSON text).
//! - [`real_depot`]: a real depot store in a temporary directory with one enrolled device per
//!   role, its axum router driven in-process (no sockets).
//! - [`fake_depot`]: a loopback HTTPS server (its own self-signed key) that enrolls a real phone
//!   store through the real key exchange and answers its sync with pages given by the fuzzer.
//! - [`pull_page`]: the `pull_page_apply` harness (with [`fake_depot`], also compiled into
//!   core's regression tests, which replay the kept inputs with the strict views on).
//!
//! [`DepotFacts`]: fundi_sync::depot::DepotFacts

#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../depot/src/store/mod.rs"]
pub mod store;

#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../depot/src/http/mod.rs"]
pub mod http;

// What `store` and `http` use of the depot's other modules.
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../depot/src/mpesa/mod.rs"]
pub mod mpesa;

#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../depot/src/statement/mod.rs"]
pub mod statement;

#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../depot/src/reports/mod.rs"]
pub mod reports;

pub mod facts;
pub mod fake_depot;
pub mod pull_page;
pub mod real_depot;
