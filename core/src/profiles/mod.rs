//! Artisans' profiles (documents): this account's own, or a mentee's for a mentor, as last
//! synced plus local edits, each field merged by its stamp. Held in `documents`. Besides the
//! text fields (display name, location, phone, and her story for shoppers), her consent to
//! publish her display name and story beside her products (`publish`, ADR 0025).

use crate::error::NotAllowedReason;
use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, documents, outbox, Store};
use fundi_sync::access::may_write_field;
use fundi_sync::fields::{check_profile_field, ProfileField, PROFILE_PUBLISH};
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
    /// problem (too long, control characters; a story may hold line breaks), the same rules
    /// the depot applies.
    pub fn set_profile_text(&self, account_id: &str, field: ProfileField, value: &str) -> Result<()> {
        if let Some(problem) = field.problem(value) {
            return Err(Error::InvalidProfile { field, problem });
        }
        self.set_profile_field(account_id, field.code(), value.into())
    }

    /// Whether she agrees to show her display name and story to shoppers beside her products,
    /// as this phone holds it (never set: no).
    pub fn profile_publish(&self, account_id: &str) -> Result<bool> {
        Ok(self.profile(account_id)?.is_some_and(|p| publishes(&p)))
    }

    /// Give or withdraw her consent to publish her display name and story. Consent is hers
    /// alone: on the phone only the profile's owner gives it (the depot's field rule would
    /// take a mentor's write too; a mentor's phone does not send one): anyone else is
    /// `NotAllowed(WrongRole)`.
    pub fn set_profile_publish(&self, account_id: &str, publish: bool) -> Result<()> {
        let (me, _) = self.read(account::db::me)?;
        if me != account_id {
            return Err(Error::NotAllowed(NotAllowedReason::WrongRole));
        }
        self.set_profile_field(account_id, PROFILE_PUBLISH, publish.into())
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

/// Whether a profile holds her consent to publish (only `true` is consent).
pub fn publishes(p: &ProfileBody) -> bool {
    p.doc.value(PROFILE_PUBLISH) == Some(&serde_json::Value::Bool(true))
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

    /// Her story for shoppers: line breaks kept, a story over its limit or with a tab refused
    /// typed (naming the story), nothing of it kept; the consent read back as set, given and
    /// withdrawn by her alone.
    #[test]
    fn her_story_keeps_its_line_breaks_and_only_she_gives_her_consent() {
        use fundi_sync::limits::PROFILE_STORY_MAX_CHARS;
        let store = Store::open_in_memory().unwrap();
        store.write(|tx| account::db::enroll_for_test(tx, "wanjiku", Role::Artisan)).unwrap();
        let story = "Ninasuka vikapu tangu 1998.\nNafundisha wasichana kijijini.";
        store.set_profile_text("wanjiku", ProfileField::Story, story).unwrap();
        assert_eq!(store.profile("wanjiku").unwrap().unwrap().text("story"), Some(story));
        let long = "a".repeat(PROFILE_STORY_MAX_CHARS + 1);
        let refused = store.set_profile_text("wanjiku", ProfileField::Story, &long).unwrap_err();
        assert!(
            matches!(refused, Error::InvalidProfile { field: ProfileField::Story, problem: Problem::TooLong { max } } if max as usize == PROFILE_STORY_MAX_CHARS),
            "{refused:?}"
        );
        let tab = store.set_profile_text("wanjiku", ProfileField::Story, "a\tb").unwrap_err();
        assert!(matches!(tab, Error::InvalidProfile { field: ProfileField::Story, problem: Problem::InvalidCharacters }));
        assert_eq!(store.profile("wanjiku").unwrap().unwrap().text("story"), Some(story), "the refused texts were not kept");
        // A display name still refuses a line break.
        assert!(store.set_profile_text("wanjiku", ProfileField::DisplayName, "Wan\njiku").is_err());

        assert!(!store.profile_publish("wanjiku").unwrap(), "never set: no");
        store.set_profile_publish("wanjiku", true).unwrap();
        assert!(store.profile_publish("wanjiku").unwrap());
        store.set_profile_publish("wanjiku", false).unwrap();
        assert!(!store.profile_publish("wanjiku").unwrap());
        assert_eq!(store.pending_count().unwrap(), 3, "the story and both answers are queued");

        // Her mentor edits her profile but does not answer for her.
        let mentor = Store::open_in_memory().unwrap();
        mentor.write(|tx| account::db::enroll_for_test(tx, "mama-mentor", Role::Mentor)).unwrap();
        mentor.set_profile_text("wanjiku", ProfileField::Story, story).unwrap();
        let refused = mentor.set_profile_publish("wanjiku", true).unwrap_err();
        assert_eq!(refused.not_allowed_reason(), Some(NotAllowedReason::WrongRole));
        assert!(!mentor.profile_publish("wanjiku").unwrap());
        assert_eq!(mentor.pending_count().unwrap(), 1, "only the story was queued");
    }
}
