//! Identifiers that a phone can mint offline without ever colliding with another phone's.
//!
//! UUIDv7: 48 bits of Unix milliseconds then 74 random bits. Sorting by id sorts by creation
//! time, which keeps SQLite's primary-key b-tree appends cheap and makes ids readable in logs.
//! See `docs/adr/0002-ids-uuidv7.md`.

use uuid::Uuid;

/// A new time-ordered id in its canonical hyphenated lowercase form.
pub fn new_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// Whether `s` is a well-formed id (any UUID version is accepted so that ids minted by other
/// clients, or older versions of this one, stay valid).
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 36 && Uuid::parse_str(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let ids: Vec<String> = (0..2000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "uuidv7 minted in sequence must sort in sequence");
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.iter().all(|i| is_valid_id(i)));
    }

    #[test]
    fn rejects_garbage_ids() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("not-an-id"));
        assert!(!is_valid_id("0193a6f2-7c1d-7abc-9def-0123456789ab-extra"));
    }
}
