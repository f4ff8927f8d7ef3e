//! Artisans' profiles (documents): this account's own, or a mentee's for a mentor, as last
//! synced plus local edits, each field merged by its stamp. Held in `documents`.

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, documents, outbox, Store};
use fundi_sync::access::may_write_field;
use fundi_sync::fields::{check_profile_field, profile_text_problem, ProfileField};
use fundi_sync::{DocState, Extra, FieldWrite, Kind, ProfileBody, Relation, Role};
use std::collections::BTreeMap;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

impl Store {
    /// A profile (this account's, or a mentee's for a mentor), as last synced plus local edits.
    pub fn profile(&self, account_id: &str) -> Result<Option<ProfileBody>> {
        self.read(|c| {
            documents::db::find(c, Kind::Profile.code(), account_id)?
                .map(|b| serde_json::from_value(b).map_err(corrupt))
                .transpose()
        })
    }

    /// Change one of a profile's text fields (the profile screen's): the owner, her mentor, or
    /// staff. A text the rules refuse is [`Error::InvalidProfile`], naming the field and the
    /// problem (too long, control characters), the same rules the depot applies.
    pub fn set_profile_text(&self, account_id: &str, field: ProfileField, value: &str) -> Result<()> {
        if let Some(problem) = profile_text_problem(value) {
            return Err(Error::InvalidProfile { field, problem });
        }
        self.set_profile_field(account_id, field.code(), value.into())
    }

    /// Change one field of a profile (display_name, location, phone, or any other): the owner,
    /// their mentor, or staff. Checked with the depot's own rules; shown at once; sent at the
    /// next sync.
    pub fn set_profile_field(&self, account_id: &str, field: &str, value: serde_json::Value) -> Result<()> {
        self.write(|tx| {
            let (me_id, role) = account::db::me(tx)?;
            let rel = if account_id == me_id {
                Relation::Owner
            } else if role == Role::Mentor {
                Relation::Mentor
            } else {
                Relation::Other
            };
            may_write_field(role, rel, Kind::Profile, None, field).map_err(Error::Rejected)?;
            check_profile_field(field, &value).map_err(Error::Rejected)?;
            // One held for a newer app is not shown, so not changed either (nor replaced).
            if documents::db::is_held(tx, Kind::Profile.code(), account_id)? {
                return Err(Error::NotFound { kind: "profile" });
            }
            let mut p: ProfileBody = match documents::db::find(tx, Kind::Profile.code(), account_id)? {
                Some(b) => serde_json::from_value(b).map_err(corrupt)?,
                None => ProfileBody { owner: account_id.to_string(), doc: DocState::default(), extra: Extra::new() },
            };
            let write = FieldWrite::new(value, stamp(tx)?, p.doc.stamp(field).into_iter().collect());
            p.doc.apply(field, write.clone()).map_err(corrupt)?;
            let body = serde_json::to_value(&p).expect("json");
            documents::db::put(tx, Kind::Profile.code(), account_id, Some(account_id), &body, false)?;
            let mut w = BTreeMap::new();
            w.insert(field.to_string(), write);
            outbox::enqueue_fields(tx, Kind::Profile, account_id, w)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::drafts::Problem;
    use fundi_sync::limits::PROFILE_TEXT_MAX_CHARS;

    /// The profile screen's fields: text the rules refuse is a typed problem naming the field,
    /// and nothing of it is kept or queued; text they accept is shown at once and queued.
    #[test]
    fn a_refused_profile_text_names_its_field_and_problem() {
        let store = Store::open_in_memory().unwrap();
        store.write(|tx| account::db::enroll_for_test(tx, "wanjiku", Role::Artisan)).unwrap();
        let max = PROFILE_TEXT_MAX_CHARS;
        let too_long = store.set_profile_text("wanjiku", ProfileField::DisplayName, &"a".repeat(max + 1)).unwrap_err();
        assert!(
            matches!(too_long, Error::InvalidProfile { field: ProfileField::DisplayName, problem: Problem::TooLong { max: m } } if m as usize == max),
            "{too_long:?}"
        );
        let control = store.set_profile_text("wanjiku", ProfileField::Location, "Nakuru\tWest").unwrap_err();
        assert!(matches!(control, Error::InvalidProfile { field: ProfileField::Location, problem: Problem::InvalidCharacters }));
        assert!(store.profile("wanjiku").unwrap().is_none(), "nothing was kept");
        assert_eq!(store.pending_count().unwrap(), 0, "nothing was queued");

        store.set_profile_text("wanjiku", ProfileField::DisplayName, &"ü".repeat(max)).unwrap();
        let p = store.profile("wanjiku").unwrap().unwrap();
        assert_eq!(p.text(ProfileField::DisplayName.code()), Some("ü".repeat(max).as_str()));
        assert_eq!(store.pending_count().unwrap(), 1);
    }
}
