//! One module per subcommand.
pub mod assign;
pub mod blobs;
pub mod demo;
pub mod enroll;
pub mod import_orders;
pub mod list_depot;
pub mod money;
pub mod mpesa_sim;
pub mod payouts;
pub mod prepare_photos;
pub mod prune;
pub mod report;
pub mod seed;
pub mod serve;
pub mod set_mentor;
pub mod tls_key;
