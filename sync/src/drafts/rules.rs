//! Field rules for drafts. Pure functions: they return every problem at once, so the editor can
//! mark all bad fields in one go, and they normalise what they accept (trimmed text).

use super::{DraftField, DraftForm, DraftPatch, FieldError, NewDraft, Problem};

pub use crate::limits::{
    DESCRIPTION_MAX_CHARS, MATERIALS_MAX, MATERIAL_MAX_CHARS, PRICE_MAX_MINOR, PRICE_MIN_MINOR, TITLE_MAX_CHARS,
    WEEKLY_CAPACITY_MAX,
};

fn problem(errors: &mut Vec<FieldError>, field: DraftField, problem: Problem) {
    errors.push(FieldError { field, problem });
}

/// Trim and check one line or block of text. Returns the normalised text.
fn text(errors: &mut Vec<FieldError>, field: DraftField, value: &str, required: bool, max_chars: u32, multiline: bool) -> String {
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

/// Read the "how many per week" field as typed: digits only, then the same range as stored.
pub fn parse_weekly_capacity_input(typed: &str) -> Result<u32, FieldError> {
    let typed = typed.trim();
    let err = |problem| FieldError { field: DraftField::WeeklyCapacity, problem };
    if typed.is_empty() {
        return Err(err(Problem::Required));
    }
    if !typed.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(Problem::InvalidCharacters));
    }
    let per_week: u32 = typed.parse().map_err(|_| err(Problem::TooLarge { max: WEEKLY_CAPACITY_MAX as i64 }))?;
    let mut errors = vec![];
    capacity(&mut errors, per_week);
    errors.pop().map_or(Ok(per_week), Err)
}

/// The materials field is one line of text, "sisal, leather" or one per line: split it.
/// Empty entries are dropped; the limits are checked when the draft is saved.
pub fn split_materials_input(typed: &str) -> Vec<String> {
    typed.split([',', '\n', ';']).map(str::trim).filter(|m| !m.is_empty()).map(String::from).collect()
}

/// Read the whole editor form as typed: every problem of every field at once (unreadable
/// numbers and rule violations alike), ordered as the fields are shown; or the draft, checked.
pub fn read_form(form: &DraftForm) -> Result<NewDraft, Vec<FieldError>> {
    let mut unreadable = vec![];
    let price = parse_price_input(&form.price).map_err(|e| unreadable.push(e)).ok();
    let per_week = parse_weekly_capacity_input(&form.weekly_capacity).map_err(|e| unreadable.push(e)).ok();
    if form.category.is_none() {
        unreadable.push(FieldError { field: DraftField::Category, problem: Problem::Required });
    }
    let candidate = NewDraft {
        title: form.title.clone(),
        description: form.description.clone(),
        materials: split_materials_input(&form.materials),
        category: form.category.unwrap_or(super::Category::Other),
        // Stand-ins for unreadable numbers: valid, so they add no second error for that field.
        price_minor: price.unwrap_or(PRICE_MIN_MINOR),
        weekly_capacity: per_week.unwrap_or(1),
    };
    let mut errors = match validate_new(&candidate) {
        Ok(draft) if unreadable.is_empty() => return Ok(draft),
        Ok(_) => vec![],
        Err(errors) => errors,
    };
    errors.extend(unreadable);
    errors.sort_by_key(|e| e.field);
    Err(errors)
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
            vec![
                DraftField::Title,
                DraftField::Description,
                DraftField::Materials,
                DraftField::Price,
                DraftField::WeeklyCapacity
            ]
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
    fn weekly_capacity_and_materials_input() {
        assert_eq!(parse_weekly_capacity_input(" 12 "), Ok(12));
        assert_eq!(parse_weekly_capacity_input("").unwrap_err().problem, Problem::Required);
        assert_eq!(parse_weekly_capacity_input("-3").unwrap_err().problem, Problem::InvalidCharacters);
        assert_eq!(parse_weekly_capacity_input("0").unwrap_err().problem, Problem::TooSmall { min: 1 });
        let huge = parse_weekly_capacity_input("99999999999").unwrap_err().problem;
        assert_eq!(huge, Problem::TooLarge { max: WEEKLY_CAPACITY_MAX as i64 });
        assert_eq!(split_materials_input("sisal, leather\n glass beads;; "), vec!["sisal", "leather", "glass beads"]);
        assert!(split_materials_input(" , ").is_empty());
    }

    #[test]
    fn a_form_reports_unreadable_and_invalid_fields_together() {
        let form = DraftForm {
            title: " ".into(),
            description: "".into(),
            materials: "sisal, leather".into(),
            category: None,
            price: "elfu moja".into(),
            weekly_capacity: "0".into(),
        };
        let fields: Vec<(DraftField, Problem)> =
            read_form(&form).unwrap_err().into_iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            fields,
            vec![
                (DraftField::Title, Problem::Required),
                (DraftField::Category, Problem::Required),
                (DraftField::Price, Problem::InvalidCharacters),
                (DraftField::WeeklyCapacity, Problem::TooSmall { min: 1 }),
            ]
        );
        let ok = DraftForm {
            title: "Kikapu".into(),
            category: Some(Category::Baskets),
            price: "KSh 1,250".into(),
            weekly_capacity: "3".into(),
            ..form
        };
        let draft = read_form(&ok).unwrap();
        assert_eq!((draft.price_minor, draft.weekly_capacity, draft.materials.len()), (125_000, 3, 2));
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
