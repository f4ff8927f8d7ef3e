//! One module per subcommand.
pub mod demo;
pub mod prepare_photos;
