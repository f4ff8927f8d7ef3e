//! Who may do what to a record: roles, the caller's relation to a record, and the rules for
//! document fields. Pure; the server calls these on every write, the phone to grey out what
//! its user may not do.

use super::wire::{Kind, RejectCode, Rejection};
pub use crate::roles::{Relation, Role};
use crate::workflow::DraftStatus;

fn forbidden(what: &str) -> Rejection {
    Rejection::new(RejectCode::Forbidden, what.to_string())
}

/// Whether the caller may read a record owned by an artisan.
pub fn may_read(role: Role, relation: Relation) -> bool {
    acts_by_role(role, relation) || matches!(relation, Relation::Owner | Relation::Mentor)
}

/// Whether the caller acts on the record by their role alone: operations on every record,
/// staff on their own depot's (ADR 0030).
pub fn acts_by_role(role: Role, relation: Relation) -> bool {
    role.is_depot_wide() && relation != Relation::OtherDepot
}

/// Fields of a draft only a mentor or staff write: the review note.
pub const REVIEW_FIELDS: &[&str] = &["review_note"];

/// Whether the caller may write `field` of a document of `kind` (draft: with its review
/// `status`, `None` when the draft is new).
pub fn may_write_field(
    role: Role,
    relation: Relation,
    kind: Kind,
    status: Option<DraftStatus>,
    field: &str,
) -> Result<(), Rejection> {
    match kind {
        Kind::Profile => {
            if acts_by_role(role, relation) || matches!(relation, Relation::Owner | Relation::Mentor) {
                Ok(())
            } else {
                Err(forbidden("not your profile"))
            }
        }
        Kind::Draft => {
            let review = REVIEW_FIELDS.contains(&field);
            if acts_by_role(role, relation) {
                return Ok(());
            }
            match (role, relation) {
                (Role::Mentor, Relation::Mentor) if review => Ok(()),
                (Role::Mentor, Relation::Mentor) => Err(forbidden("mentors write only the review note")),
                (Role::Artisan, Relation::Owner) if review => Err(forbidden("the review note is the reviewer's")),
                (Role::Artisan, Relation::Owner) => match status {
                    Some(DraftStatus::Submitted) => Err(Rejection::new(RejectCode::Locked, "submitted for review")),
                    Some(DraftStatus::Approved) if field == "price" => {
                        Err(Rejection::new(RejectCode::Locked, "the price of an approved product is set by staff"))
                    }
                    _ => Ok(()),
                },
                _ => Err(forbidden("not your draft")),
            }
        }
        _ => Err(Rejection::new(RejectCode::Malformed, "field writes are for documents only")),
    }
}

/// Whether the caller may upload the bytes of a blob that a record owned by an artisan refers
/// to: whoever may write that record's photo list, the review lock aside (the photos of a draft
/// submitted for review are still on their way). The owner and depot-wide roles; never a mentor,
/// who writes only the review note.
pub fn may_upload(role: Role, relation: Relation) -> bool {
    may_write_field(role, relation, Kind::Draft, None, crate::fields::DRAFT_PHOTOS).is_ok()
}

/// Whether the caller may append stock entries (depot staff count stock; operations correct it).
pub fn may_append_stock(role: Role) -> Result<(), Rejection> {
    if role.is_depot_wide() {
        Ok(())
    } else {
        Err(forbidden("only depot staff record stock"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_field_rules_by_role_relation_and_status() {
        use DraftStatus::*;
        let ok = |r, rel, st, f| may_write_field(r, rel, Kind::Draft, st, f).is_ok();
        assert!(ok(Role::Artisan, Relation::Owner, None, "title"));
        assert!(ok(Role::Artisan, Relation::Owner, Some(Approved), "title"));
        assert!(!ok(Role::Artisan, Relation::Owner, Some(Approved), "price"));
        assert!(!ok(Role::Artisan, Relation::Owner, Some(Submitted), "title"));
        assert!(!ok(Role::Artisan, Relation::Other, Some(Draft), "title"));
        assert!(!ok(Role::Artisan, Relation::Owner, Some(Draft), "review_note"));
        assert!(ok(Role::Mentor, Relation::Mentor, Some(Submitted), "review_note"));
        assert!(!ok(Role::Mentor, Relation::Mentor, Some(Submitted), "price"));
        assert!(!ok(Role::Mentor, Relation::Other, Some(Submitted), "review_note"));
        assert!(ok(Role::Staff, Relation::Other, Some(Approved), "price"));
        assert!(ok(Role::Operations, Relation::Other, Some(Approved), "price"));
        assert!(may_write_field(Role::Artisan, Relation::Owner, Kind::Order, None, "x").is_err());
    }

    const RELATIONS: [Relation; 4] = [Relation::Owner, Relation::Mentor, Relation::Other, Relation::OtherDepot];

    #[test]
    fn uploading_is_for_who_writes_the_photo_list() {
        for role in Role::ALL {
            for rel in RELATIONS {
                let by_role = role.is_depot_wide() && rel != Relation::OtherDepot;
                let expected = by_role || (role == Role::Artisan && rel == Relation::Owner);
                assert_eq!(may_upload(role, rel), expected, "{role:?} {rel:?}");
            }
        }
    }

    #[test]
    fn reading_is_owner_mentor_or_depot_wide() {
        for role in Role::ALL {
            for rel in RELATIONS {
                let expected =
                    (role.is_depot_wide() && rel != Relation::OtherDepot) || matches!(rel, Relation::Owner | Relation::Mentor);
                assert_eq!(may_read(role, rel), expected, "{role:?} {rel:?}");
            }
        }
    }

    /// Staff of another depot of the deployment (ADR 0030): nothing of an artisan's is theirs,
    /// neither her documents' fields nor the review note; operations have no depot.
    #[test]
    fn staff_of_another_depot_write_nothing_of_hers() {
        use DraftStatus::*;
        for field in ["title", "price", "review_note"] {
            let e = may_write_field(Role::Staff, Relation::OtherDepot, Kind::Draft, Some(Submitted), field).unwrap_err();
            assert_eq!(e.code, RejectCode::Forbidden, "{field}");
            assert!(may_write_field(Role::Staff, Relation::Other, Kind::Draft, Some(Submitted), field).is_ok(), "{field}");
        }
        assert!(may_write_field(Role::Staff, Relation::OtherDepot, Kind::Profile, None, "display_name").is_err());
        assert!(!may_read(Role::Staff, Relation::OtherDepot) && !may_upload(Role::Staff, Relation::OtherDepot));
        assert!(acts_by_role(Role::Operations, Relation::Other) && !acts_by_role(Role::Staff, Relation::OtherDepot));
    }
}
