//! Profiles across the FFI. The core keeps a profile as a document of stamped fields; Kotlin
//! sees its text fields and her consent to publish (`ProfileRecord`, a different shape from the
//! core's `ProfileBody`).

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::profiles::publishes;
use fundi_sync::fields::{ProfileField, PROFILE_DISPLAY_NAME, PROFILE_LOCATION, PROFILE_PHONE, PROFILE_STORY};
use fundi_sync::ProfileBody;

/// A profile's text fields, in the screen's order.
#[uniffi::remote(Enum)]
pub enum ProfileField {
    DisplayName,
    Location,
    Phone,
    /// Her story for shoppers: several lines allowed.
    Story,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ProfileRecord {
    pub account_id: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub phone: Option<String>,
    /// What she tells shoppers about herself and her craft.
    pub story: Option<String>,
    /// She agrees to show her display name and story to shoppers beside her products (never
    /// set: false). Nothing else of her profile is ever public.
    pub publish: bool,
}

impl ProfileRecord {
    fn new(account_id: String, profile: ProfileBody) -> Self {
        let text = |field| profile.text(field).map(String::from);
        ProfileRecord {
            display_name: text(PROFILE_DISPLAY_NAME),
            location: text(PROFILE_LOCATION),
            phone: text(PROFILE_PHONE),
            story: text(PROFILE_STORY),
            publish: publishes(&profile),
            account_id,
        }
    }
}

#[uniffi::export]
impl SyncService {
    /// A profile's text fields (own, or a mentee's for a mentor), null if never synced or set.
    pub fn profile(&self, account_id: String) -> Result<Option<ProfileRecord>, FundiError> {
        Ok(self.inner.profile(&account_id)?.map(|p| ProfileRecord::new(account_id, p)))
    }

    /// Set one text field of a profile (own, or a mentee's for a mentor). Text the rules refuse
    /// is `FundiError.InvalidProfile` with the field and the problem (too long: its `max`).
    pub fn set_profile(&self, account_id: String, field: ProfileField, value: String) -> Result<(), FundiError> {
        Ok(self.inner.set_profile_text(&account_id, field, &value)?)
    }

    /// Give (`true`) or withdraw her consent to show her display name and story to shoppers.
    /// Only she answers for herself: another account's is `NotAllowed(WrongRole)`.
    pub fn set_profile_publish(&self, account_id: String, publish: bool) -> Result<(), FundiError> {
        Ok(self.inner.set_profile_publish(&account_id, publish)?)
    }

    /// Set one field of a profile by its wire name (`display_name`, `location`, `phone`, `story`, or a
    /// newer app's): the text fields as `set_profile`.
    pub fn set_profile_text(&self, account_id: String, field: String, value: String) -> Result<(), FundiError> {
        match ProfileField::from_code(&field) {
            Some(known) => Ok(self.inner.set_profile_text(&account_id, known, &value)?),
            None => Ok(self.inner.set_profile_field(&account_id, &field, value.into())?),
        }
    }
}
