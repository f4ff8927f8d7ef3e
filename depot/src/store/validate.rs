//! Checks on pushed values: known draft fields by the same rules as the phone's editor (core's
//! `drafts::validate`), unknown fields from newer apps kept as they are but bounded in size.

use fundi_core::drafts::validate::validate_patch;
use fundi_core::drafts::{Category, DraftPatch};
use fundi_sync::{RejectCode, Rejection};
use serde_json::Value;

/// Largest serialized value of any one field.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;
/// Most fields one document may have (known and unknown).
pub const MAX_FIELDS: usize = 64;
/// Most photos a draft refers to.
pub const MAX_PHOTOS: usize = 12;

fn invalid(d: &str) -> Rejection {
    Rejection::new(RejectCode::Invalid, d.to_string())
}

pub fn field_name(name: &str) -> Result<(), Rejection> {
    if name.is_empty() || name.len() > 48 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(invalid("field names are 1 to 48 of a-z, 0-9, _"));
    }
    Ok(())
}

/// A photo reference: the SHA-256 of the blob, 64 lowercase hex digits.
pub fn is_content_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn draft_field(name: &str, v: &Value) -> Result<(), Rejection> {
    field_name(name)?;
    if v.to_string().len() > MAX_FIELD_BYTES {
        return Err(invalid("value too large"));
    }
    let mut patch = DraftPatch::default();
    let text = || v.as_str().map(str::to_string).ok_or_else(|| invalid("expected text"));
    match name {
        "title" => patch.title = Some(text()?),
        "description" => patch.description = Some(text()?),
        "review_note" if text()?.chars().count() > 2000 => {
            return Err(invalid("review note too long"));
        }
        "materials" => {
            patch.materials =
                Some(serde_json::from_value::<Vec<String>>(v.clone()).map_err(|_| invalid("expected a list of text"))?)
        }
        "category" => {
            Category::from_code(&text()?).ok_or_else(|| invalid("unknown category"))?;
        }
        "price" => patch.price_minor = Some(v.as_i64().ok_or_else(|| invalid("expected an integer"))?),
        "weekly_capacity" => {
            patch.weekly_capacity =
                Some(v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| invalid("expected a count"))?)
        }
        "deleted" => {
            v.as_bool().ok_or_else(|| invalid("expected true or false"))?;
        }
        "photos" => {
            let list = v.as_array().ok_or_else(|| invalid("expected a list of content hashes"))?;
            if list.len() > MAX_PHOTOS || !list.iter().all(|p| p.as_str().is_some_and(is_content_hash)) {
                return Err(invalid("photos are up to 12 SHA-256 content hashes"));
            }
        }
        // Held by the record itself, never by a document field.
        "status" | "owner" => return Err(invalid("reserved field name")),
        _ => {} // a field from a newer app: kept and sent back unchanged
    }
    validate_patch(&patch).map_err(|errors| invalid(&format!("{:?}", errors[0].problem)))?;
    Ok(())
}

pub fn profile_field(name: &str, v: &Value) -> Result<(), Rejection> {
    field_name(name)?;
    if v.to_string().len() > MAX_FIELD_BYTES {
        return Err(invalid("value too large"));
    }
    if name == "owner" {
        return Err(invalid("reserved field name"));
    }
    if matches!(name, "display_name" | "location" | "phone") {
        let s = v.as_str().ok_or_else(|| invalid("expected text"))?;
        if s.chars().count() > 120 || s.chars().any(char::is_control) {
            return Err(invalid("text too long or with control characters"));
        }
    }
    Ok(())
}
