//! Profiles across the FFI. The core keeps a profile as a document of stamped fields; Kotlin
//! sees its text fields (`ProfileRecord`, a different shape from the core's `ProfileBody`).

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_sync::fields::{ProfileField, PROFILE_DISPLAY_NAME, PROFILE_LOCATION, PROFILE_PHONE};
use fundi_sync::ProfileBody;

/// A profile's text fields, in the screen's order.
#[uniffi::remote(Enum)]
pub enum ProfileField {
    DisplayName,
    Location,
    Phone,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ProfileRecord {
    pub account_id: String,
    pub display_name: Option<String>,
    pub location: Option<String>,
    pub phone: Option<String>,
}

impl ProfileRecord {
    fn new(account_id: String, profile: ProfileBody) -> Self {
        let text = |field| profile.text(field).map(String::from);
        ProfileRecord {
            display_name: text(PROFILE_DISPLAY_NAME),
            location: text(PROFILE_LOCATION),
            phone: text(PROFILE_PHONE),
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

    /// Set one field of a profile by its wire name (`display_name`, `location`, `phone`, or a
    /// newer app's): the text fields as `set_profile`.
    pub fn set_profile_text(&self, account_id: String, field: String, value: String) -> Result<(), FundiError> {
        match ProfileField::from_code(&field) {
            Some(known) => Ok(self.inner.set_profile_text(&account_id, known, &value)?),
            None => Ok(self.inner.set_profile_field(&account_id, &field, value.into())?),
        }
    }
}
