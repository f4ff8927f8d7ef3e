//! Field rules for drafts. Pure functions: they return every problem at once, so the editor can
//! mark all bad fields in one go, and they normalise what they accept (trimmed text).

use super::model::{DraftField, DraftPatch, FieldError, NewDraft, Problem};

pub const TITLE_MAX_CHARS: u32 = 80;
pub const DESCRIPTION_MAX_CHARS: u32 = 2000;
pub const MATERIALS_MAX: u32 = 20;
pub const MATERIAL_MAX_CHARS: u32 = 40;
/// One shilling.
pub const PRICE_MIN_MINOR: i64 = 100;
/// One million shillings: far above any handmade product, low enough to catch a slipped finger.
pub const PRICE_MAX_MINOR: i64 = 100_000_000;
pub const WEEKLY_CAPACITY_MAX: u32 = 1000;

fn problem(errors: &mut Vec<FieldError>, field: DraftField, problem: Problem) {
    errors.push(FieldError { field, problem });
}

/// Trim and check one line or block of text. Returns the normalised text.
fn text(
    errors: &mut Vec<FieldError>,
    field: DraftField,
    value: &str,
    required: bool,
    max_chars: u32,
    multiline: bool,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        problem(errors, field, Problem::Required);
    } else if value.chars().count() > max_chars as usize {
        problem(errors, field, Problem::TooLong { max: max_chars });
    } else if value.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t'))) {
        problem(errors, field, Problem::InvalidCharacters);
    }
    value.to_string()
}

fn materials(errors: &mut Vec<FieldError>, values: &[String]) -> Vec<String> {
    let cleaned: Vec<String> = values.iter().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
    if cleaned.len() > MATERIALS_MAX as usize {
        problem(errors, DraftField::Materials, Problem::TooMany { max: MATERIALS_MAX });
    } else if cleaned.iter().any(|m| m.chars().count() > MATERIAL_MAX_CHARS as usize) {
        problem(errors, DraftField::Materials, Problem::TooLong { max: MATERIAL_MAX_CHARS });
    } else if cleaned.iter().any(|m| m.chars().any(char::is_control)) {
        problem(errors, DraftField::Materials, Problem::InvalidCharacters);
    }
    cleaned
}

fn price(errors: &mut Vec<FieldError>, minor: i64) {
    if minor < PRICE_MIN_MINOR {
        problem(errors, DraftField::Price, Problem::TooSmall { min: PRICE_MIN_MINOR });
    } else if minor > PRICE_MAX_MINOR {
        problem(errors, DraftField::Price, Problem::TooLarge { max: PRICE_MAX_MINOR });
    }
}

fn capacity(errors: &mut Vec<FieldError>, per_week: u32) {
    if per_week == 0 {
        problem(errors, DraftField::WeeklyCapacity, Problem::TooSmall { min: 1 });
    } else if per_week > WEEKLY_CAPACITY_MAX {
        problem(errors, DraftField::WeeklyCapacity, Problem::TooLarge { max: WEEKLY_CAPACITY_MAX as i64 });
    }
}

/// Read the price field as typed ("1,250", "KSh 1,250.50") into minor units, checked against
/// the same limits as a stored price.
pub fn parse_price_input(typed: &str) -> Result<i64, FieldError> {
    use crate::money::{parse_kes, ParseMoneyError};
    let minor = parse_kes(typed).map_err(|e| FieldError {
        field: DraftField::Price,
        problem: match e {
            ParseMoneyError::Empty => Problem::Required,
            ParseMoneyError::TooLarge => Problem::TooLarge { max: PRICE_MAX_MINOR },
            ParseMoneyError::NotANumber | ParseMoneyError::TooPrecise => Problem::InvalidCharacters,
        },
    })?;
    let mut errors = vec![];
    price(&mut errors, minor);
    errors.pop().map_or(Ok(minor), Err)
}

/// Check a new draft; on success return it normalised.
pub fn validate_new(input: &NewDraft) -> Result<NewDraft, Vec<FieldError>> {
    let mut errors = vec![];
    let out = NewDraft {
        title: text(&mut errors, DraftField::Title, &input.title, true, TITLE_MAX_CHARS, false),
        description: text(&mut errors, DraftField::Description, &input.description, false, DESCRIPTION_MAX_CHARS, true),
        materials: materials(&mut errors, &input.materials),
        category: input.category,
        price_minor: input.price_minor,
        weekly_capacity: input.weekly_capacity,
    };
    price(&mut errors, input.price_minor);
    capacity(&mut errors, input.weekly_capacity);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Check the fields a patch sets; on success return it normalised.
pub fn validate_patch(patch: &DraftPatch) -> Result<DraftPatch, Vec<FieldError>> {
    let mut errors = vec![];
    let out = DraftPatch {
        title: patch.title.as_deref().map(|t| text(&mut errors, DraftField::Title, t, true, TITLE_MAX_CHARS, false)),
        description: patch
            .description
            .as_deref()
            .map(|d| text(&mut errors, DraftField::Description, d, false, DESCRIPTION_MAX_CHARS, true)),
        materials: patch.materials.as_deref().map(|m| materials(&mut errors, m)),
        category: patch.category,
        price_minor: patch.price_minor,
        weekly_capacity: patch.weekly_capacity,
    };
    if let Some(p) = patch.price_minor {
        price(&mut errors, p);
    }
    if let Some(c) = patch.weekly_capacity {
        capacity(&mut errors, c);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drafts::Category;

    fn good() -> NewDraft {
        NewDraft {
            title: "  Beaded necklace ".into(),
            description: "Glass beads\non brass wire".into(),
            materials: vec![" brass ".into(), "".into(), "glass beads".into()],
            category: Category::Jewelry,
            price_minor: 150_000,
            weekly_capacity: 10,
        }
    }

    #[test]
    fn accepts_and_normalises_a_good_draft() {
        let ok = validate_new(&good()).unwrap();
        assert_eq!(ok.title, "Beaded necklace");
        assert_eq!(ok.materials, vec!["brass", "glass beads"]);
        assert_eq!(ok.description, "Glass beads\non brass wire");
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let bad = NewDraft {
            title: "   ".into(),
            description: "x".repeat(DESCRIPTION_MAX_CHARS as usize + 1),
            materials: (0..=MATERIALS_MAX).map(|i| format!("m{i}")).collect(),
            category: Category::Other,
            price_minor: 0,
            weekly_capacity: 0,
        };
        let errors = validate_new(&bad).unwrap_err();
        let fields: Vec<DraftField> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![DraftField::Title, DraftField::Description, DraftField::Materials, DraftField::Price, DraftField::WeeklyCapacity]
        );
        assert_eq!(errors[0].problem, Problem::Required);
        assert_eq!(errors[3].problem, Problem::TooSmall { min: PRICE_MIN_MINOR });
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        // 80 Swahili/emoji characters are fine even though they take more than 80 bytes.
        let mut d = good();
        d.title = "ü".repeat(TITLE_MAX_CHARS as usize);
        assert!(validate_new(&d).is_ok());
        d.title.push('ü');
        assert_eq!(validate_new(&d).unwrap_err()[0].problem, Problem::TooLong { max: TITLE_MAX_CHARS });
    }

    #[test]
    fn rejects_control_characters_in_a_title_and_huge_prices() {
        let mut d = good();
        d.title = "Bad\u{0}title".into();
        d.price_minor = PRICE_MAX_MINOR + 1;
        let errors = validate_new(&d).unwrap_err();
        assert_eq!(errors[0], FieldError { field: DraftField::Title, problem: Problem::InvalidCharacters });
        assert_eq!(errors[1].problem, Problem::TooLarge { max: PRICE_MAX_MINOR });
    }

    #[test]
    fn price_input_is_parsed_and_range_checked() {
        assert_eq!(parse_price_input("1,250"), Ok(125_000));
        assert_eq!(parse_price_input("0.50").unwrap_err().problem, Problem::TooSmall { min: PRICE_MIN_MINOR });
        assert_eq!(parse_price_input("abc").unwrap_err().problem, Problem::InvalidCharacters);
        assert_eq!(parse_price_input(" ").unwrap_err().problem, Problem::Required);
        assert_eq!(parse_price_input("2000000").unwrap_err().problem, Problem::TooLarge { max: PRICE_MAX_MINOR });
    }

    #[test]
    fn a_patch_checks_only_what_it_sets() {
        assert!(validate_patch(&DraftPatch::default()).is_ok());
        let p = DraftPatch { price_minor: Some(-5), ..Default::default() };
        assert_eq!(validate_patch(&p).unwrap_err()[0].field, DraftField::Price);
        let p = DraftPatch { title: Some(" ".into()), ..Default::default() };
        assert_eq!(validate_patch(&p).unwrap_err()[0].problem, Problem::Required);
    }
}
