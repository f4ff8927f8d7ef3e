//! The wire-level check of one document field write, run by the depot on every pushed write
//! and by the phone before it queues a write it did not make through the editor (a reviewer's
//! field, a profile). Known draft fields go through the editor's own rules
//! ([`crate::drafts::rules`]); fields from newer apps are kept as they are, bounded in size.

use crate::drafts::rules::validate_patch;
use crate::drafts::{Category, DraftField, DraftPatch, Problem};
use crate::hash::is_content_hash;
use crate::limits::{
    FIELD_NAME_MAX_BYTES, FIELD_VALUE_MAX_BYTES, FIELD_VALUE_MAX_DEPTH, PHOTOS_PER_DRAFT_MAX, PROFILE_STORY_MAX_CHARS,
    PROFILE_TEXT_MAX_CHARS, REVIEW_NOTE_MAX_CHARS,
};
use crate::wire::{RejectCode, Rejection};
use serde_json::Value;

/// Wire names of the draft fields that are neither editor fields nor reserved.
pub const DRAFT_PHOTOS: &str = "photos";
pub const DRAFT_DELETED: &str = "deleted";
pub const DRAFT_REVIEW_NOTE: &str = "review_note";

fn invalid(d: impl Into<String>) -> Rejection {
    Rejection::new(RejectCode::Invalid, d)
}

/// A field name: 1 to [`FIELD_NAME_MAX_BYTES`] of `a-z`, `0-9`, `_`.
pub fn check_field_name(name: &str) -> Result<(), Rejection> {
    if name.is_empty()
        || name.len() > FIELD_NAME_MAX_BYTES
        || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(format!("field names are 1 to {FIELD_NAME_MAX_BYTES} of a-z, 0-9, _")));
    }
    Ok(())
}

fn check_size(v: &Value) -> Result<(), Rejection> {
    if depth(v) > FIELD_VALUE_MAX_DEPTH {
        return Err(invalid(format!("values nest at most {FIELD_VALUE_MAX_DEPTH} levels")));
    }
    if v.to_string().len() > FIELD_VALUE_MAX_BYTES {
        return Err(invalid("value too large"));
    }
    Ok(())
}

/// How deep a value nests: 0 for a scalar, 1 for a flat list or object, ...
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Check one write of draft field `name`.
pub fn check_draft_field(name: &str, v: &Value) -> Result<(), Rejection> {
    check_field_name(name)?;
    check_size(v)?;
    let mut patch = DraftPatch::default();
    let text = || v.as_str().map(str::to_string).ok_or_else(|| invalid("expected text"));
    match DraftField::from_code(name) {
        Some(DraftField::Title) => patch.title = Some(text()?),
        Some(DraftField::Description) => patch.description = Some(text()?),
        Some(DraftField::Materials) => {
            patch.materials =
                Some(serde_json::from_value::<Vec<String>>(v.clone()).map_err(|_| invalid("expected a list of text"))?)
        }
        Some(DraftField::Category) => {
            patch.category = Some(Category::from_code(&text()?).ok_or_else(|| invalid("unknown category"))?)
        }
        Some(DraftField::Price) => patch.price_minor = Some(v.as_i64().ok_or_else(|| invalid("expected an integer"))?),
        Some(DraftField::WeeklyCapacity) => {
            patch.weekly_capacity =
                Some(v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| invalid("expected a count"))?)
        }
        None => match name {
            DRAFT_REVIEW_NOTE if text()?.chars().count() > REVIEW_NOTE_MAX_CHARS => return Err(invalid("review note too long")),
            DRAFT_REVIEW_NOTE => {}
            DRAFT_DELETED => {
                v.as_bool().ok_or_else(|| invalid("expected true or false"))?;
            }
            DRAFT_PHOTOS => check_photo_list(v)?,
            // Held by the record itself, never by a document field.
            "status" | "owner" => return Err(invalid("reserved field name")),
            _ => {} // a field from a newer app: kept and sent back unchanged
        },
    }
    validate_patch(&patch).map_err(|errors| invalid(format!("{}: {:?}", errors[0].field.code(), errors[0].problem)))?;
    Ok(())
}

/// A draft's photo list: at most [`PHOTOS_PER_DRAFT_MAX`] content hashes.
pub fn check_photo_list(v: &Value) -> Result<(), Rejection> {
    let list = v.as_array().ok_or_else(|| invalid("expected a list of content hashes"))?;
    if list.len() > PHOTOS_PER_DRAFT_MAX || !list.iter().all(|p| p.as_str().is_some_and(is_content_hash)) {
        return Err(invalid(format!("photos are up to {PHOTOS_PER_DRAFT_MAX} SHA-256 content hashes")));
    }
    Ok(())
}

/// The profile fields that hold text the UI shows and edits.
pub const PROFILE_DISPLAY_NAME: &str = "display_name";
pub const PROFILE_LOCATION: &str = "location";
pub const PROFILE_PHONE: &str = "phone";
pub const PROFILE_TEXT_FIELDS: [&str; 3] = [PROFILE_DISPLAY_NAME, PROFILE_LOCATION, PROFILE_PHONE];
/// Her story for shoppers (text, line breaks allowed, at most [`PROFILE_STORY_MAX_CHARS`]).
pub const PROFILE_STORY: &str = "story";
/// Whether she agreed to publish her display name and story beside her products (a boolean;
/// absent: no). Nothing else of a profile is ever public (ADR 0025).
pub const PROFILE_PUBLISH: &str = "publish";

/// What is wrong with `text` as an artisan's story, if anything.
pub fn profile_story_problem(text: &str) -> Option<Problem> {
    if text.chars().count() > PROFILE_STORY_MAX_CHARS {
        Some(Problem::TooLong { max: PROFILE_STORY_MAX_CHARS as u32 })
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        Some(Problem::InvalidCharacters)
    } else {
        None
    }
}

/// The profile fields that hold text the UI shows and edits, by their wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileField {
    DisplayName,
    Location,
    Phone,
    /// Her story for shoppers ([`PROFILE_STORY`]): longer, with line breaks.
    Story,
}

impl ProfileField {
    /// In the screen's order.
    pub const ALL: [ProfileField; 4] =
        [ProfileField::DisplayName, ProfileField::Location, ProfileField::Phone, ProfileField::Story];

    pub fn code(self) -> &'static str {
        match self {
            ProfileField::DisplayName => PROFILE_DISPLAY_NAME,
            ProfileField::Location => PROFILE_LOCATION,
            ProfileField::Phone => PROFILE_PHONE,
            ProfileField::Story => PROFILE_STORY,
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// What is wrong with `text` as this field's value, if anything: the rule
    /// [`check_profile_field`] applies to it.
    pub fn problem(self, text: &str) -> Option<Problem> {
        match self {
            ProfileField::Story => profile_story_problem(text),
            _ => profile_text_problem(text),
        }
    }
}

/// What is wrong with `text` as the value of a profile text field, if anything: at most
/// [`PROFILE_TEXT_MAX_CHARS`] characters, none of them a control character. The phone shows the
/// problem next to the field; the depot refuses the same values ([`check_profile_field`]).
pub fn profile_text_problem(text: &str) -> Option<Problem> {
    if text.chars().count() > PROFILE_TEXT_MAX_CHARS {
        Some(Problem::TooLong { max: PROFILE_TEXT_MAX_CHARS as u32 })
    } else if text.chars().any(char::is_control) {
        Some(Problem::InvalidCharacters)
    } else {
        None
    }
}

/// Check one write of profile field `name`.
pub fn check_profile_field(name: &str, v: &Value) -> Result<(), Rejection> {
    check_field_name(name)?;
    check_size(v)?;
    if name == "owner" {
        return Err(invalid("reserved field name"));
    }
    if PROFILE_TEXT_FIELDS.contains(&name) {
        let s = v.as_str().ok_or_else(|| invalid("expected text"))?;
        if let Some(problem) = profile_text_problem(s) {
            return Err(invalid(format!("{name}: {problem:?}")));
        }
    }
    if name == PROFILE_STORY {
        let s = v.as_str().ok_or_else(|| invalid("expected text"))?;
        if let Some(problem) = profile_story_problem(s) {
            return Err(invalid(format!("{name}: {problem:?}")));
        }
    }
    if name == PROFILE_PUBLISH && !v.is_boolean() {
        return Err(invalid("publish: expected true or false"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drafts::rules::validate_new;
    use crate::drafts::NewDraft;
    use crate::limits::*;
    use serde_json::json;

    fn new_draft() -> NewDraft {
        NewDraft {
            title: "Kiondo".into(),
            description: "Sisal".into(),
            materials: vec!["sisal".into()],
            category: Category::Baskets,
            price_minor: 150_000,
            weekly_capacity: 3,
        }
    }

    /// The phone's editor (a whole new draft with one field changed) and the depot's push check
    /// accept and refuse exactly the same values, field by field, at and around every limit.
    #[test]
    fn phone_and_depot_refuse_the_same_draft_fields() {
        let long = |n: usize| "a".repeat(n);
        let cases: Vec<(DraftField, Value)> = vec![
            (DraftField::Title, json!(long(TITLE_MAX_CHARS as usize))),
            (DraftField::Title, json!(long(TITLE_MAX_CHARS as usize + 1))),
            (DraftField::Title, json!("")),
            (DraftField::Title, json!("  ")),
            (DraftField::Title, json!("a\u{7}b")),
            (DraftField::Description, json!(long(DESCRIPTION_MAX_CHARS as usize))),
            (DraftField::Description, json!(long(DESCRIPTION_MAX_CHARS as usize + 1))),
            (DraftField::Description, json!("line\nline")),
            (DraftField::Materials, json!(vec!["x"; MATERIALS_MAX as usize])),
            (DraftField::Materials, json!(vec!["x"; MATERIALS_MAX as usize + 1])),
            (DraftField::Materials, json!([long(MATERIAL_MAX_CHARS as usize)])),
            (DraftField::Materials, json!([long(MATERIAL_MAX_CHARS as usize + 1)])),
            (DraftField::Price, json!(PRICE_MIN_MINOR)),
            (DraftField::Price, json!(PRICE_MIN_MINOR - 1)),
            (DraftField::Price, json!(PRICE_MAX_MINOR)),
            (DraftField::Price, json!(PRICE_MAX_MINOR + 1)),
            (DraftField::WeeklyCapacity, json!(WEEKLY_CAPACITY_MAX)),
            (DraftField::WeeklyCapacity, json!(WEEKLY_CAPACITY_MAX + 1)),
            (DraftField::WeeklyCapacity, json!(0)),
            (DraftField::Category, json!("baskets")),
            (DraftField::Category, json!("spaceships")),
        ];
        for (field, value) in cases {
            let mut d = new_draft();
            let readable = match field {
                DraftField::Title => value.as_str().map(|s| d.title = s.into()),
                DraftField::Description => value.as_str().map(|s| d.description = s.into()),
                DraftField::Materials => serde_json::from_value(value.clone()).ok().map(|m| d.materials = m),
                DraftField::Category => value.as_str().and_then(Category::from_code).map(|c| d.category = c),
                DraftField::Price => value.as_i64().map(|p| d.price_minor = p),
                DraftField::WeeklyCapacity => value.as_u64().map(|c| d.weekly_capacity = c as u32),
            };
            let phone_ok = readable.is_some() && validate_new(&d).is_ok();
            let depot_ok = check_draft_field(field.code(), &value).is_ok();
            assert_eq!(phone_ok, depot_ok, "{field:?} = {value}: phone {phone_ok}, depot {depot_ok}");
        }
    }

    #[test]
    fn photo_lists_are_bounded_by_the_one_limit() {
        let h = crate::hash::sha256_hex(b"x");
        assert!(check_draft_field(DRAFT_PHOTOS, &json!(vec![h.clone(); PHOTOS_PER_DRAFT_MAX])).is_ok());
        assert!(check_draft_field(DRAFT_PHOTOS, &json!(vec![h.clone(); PHOTOS_PER_DRAFT_MAX + 1])).is_err());
        assert!(check_draft_field(DRAFT_PHOTOS, &json!(["not a hash"])).is_err());
    }

    #[test]
    fn unknown_fields_pass_bounded_and_reserved_names_do_not() {
        assert!(check_draft_field("future_field", &json!({"x": 1})).is_ok());
        assert!(check_draft_field("future_field", &json!(long_value())).is_err());
        assert!(check_draft_field("status", &json!("approved")).is_err());
        assert!(check_draft_field("Bad-Name", &json!(1)).is_err());
        assert!(check_profile_field("owner", &json!("x")).is_err());
        assert!(check_profile_field("display_name", &json!("a".repeat(PROFILE_TEXT_MAX_CHARS + 1))).is_err());
        assert!(check_profile_field("display_name", &json!("Wanjiku")).is_ok());
        // The story for shoppers: longer, with line breaks; the consent is a boolean.
        assert!(check_profile_field("story", &json!("Ninasuka vikapu.\nTangu 1998.")).is_ok());
        assert!(check_profile_field("story", &json!("a".repeat(PROFILE_STORY_MAX_CHARS + 1))).is_err());
        assert!(check_profile_field("story", &json!("tab\tinside")).is_err());
        assert!(check_profile_field("publish", &json!(true)).is_ok());
        assert!(check_profile_field("publish", &json!("yes")).is_err());
        let max = PROFILE_TEXT_MAX_CHARS;
        assert_eq!(profile_text_problem(&"ü".repeat(max)), None, "characters are counted, not bytes");
        assert_eq!(profile_text_problem(&"a".repeat(max + 1)), Some(Problem::TooLong { max: max as u32 }));
        assert_eq!(profile_text_problem("Nai\nrobi"), Some(Problem::InvalidCharacters));
        for f in ProfileField::ALL {
            assert_eq!(ProfileField::from_code(f.code()), Some(f));
            // Each field's problem is the one the depot's check refuses with.
            for text in ["Wanjiku", "Nai\nrobi", "tab\there", &"a".repeat(PROFILE_TEXT_MAX_CHARS + 1)] {
                assert_eq!(f.problem(text).is_some(), check_profile_field(f.code(), &json!(text)).is_err(), "{f:?} {text:?}");
            }
        }
        assert_eq!(ProfileField::Story.problem("Ninasuka vikapu.\nTangu 1998."), None, "a story keeps its line breaks");
    }

    #[test]
    fn values_nest_at_most_the_limit() {
        let nested = |levels: usize| (0..levels).fold(json!(1), |v, _| json!([v]));
        assert!(check_draft_field("future_field", &nested(FIELD_VALUE_MAX_DEPTH)).is_ok());
        assert!(check_draft_field("future_field", &nested(FIELD_VALUE_MAX_DEPTH + 1)).is_err());
        assert!(check_profile_field("future_field", &nested(122)).is_err());
        assert_eq!(depth(&json!({"a": [1, {"b": []}]})), 4);
    }

    fn long_value() -> String {
        "x".repeat(FIELD_VALUE_MAX_BYTES + 1)
    }
}
