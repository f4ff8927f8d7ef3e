//! Documents this phone holds for others, as the depot last sent them plus this phone's own
//! writes: drafts it reviews (a mentor's mentees', or the whole depot's for staff) and
//! profiles. `review` and `profiles` are the features over them; `db.rs` is the only code
//! touching the `remote_docs` table.

pub(crate) mod db;
