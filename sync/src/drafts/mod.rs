//! Draft fields as both sides see them: the categories, the field names the editor marks and
//! the wire carries, what a new draft and an edit hold, and (in [`rules`]) the pure field rules
//! the phone's editor and the depot's push both apply. Plain data: no I/O, no FFI.

pub mod rules;

/// Product categories, as the catalog groups them. The UI shows a translated label for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Jewelry,
    Textiles,
    Baskets,
    HomeDecor,
    Carvings,
    Pottery,
    Leather,
    Beadwork,
    Other,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Jewelry,
        Category::Textiles,
        Category::Baskets,
        Category::HomeDecor,
        Category::Carvings,
        Category::Pottery,
        Category::Leather,
        Category::Beadwork,
        Category::Other,
    ];

    /// Stable code stored in the database and sent over sync.
    pub fn code(self) -> &'static str {
        match self {
            Category::Jewelry => "jewelry",
            Category::Textiles => "textiles",
            Category::Baskets => "baskets",
            Category::HomeDecor => "home_decor",
            Category::Carvings => "carvings",
            Category::Pottery => "pottery",
            Category::Leather => "leather",
            Category::Beadwork => "beadwork",
            Category::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What the artisan fills in to create a draft. Prices are in minor units (cents) of KES.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDraft {
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Category,
    pub price_minor: i64,
    pub weekly_capacity: u32,
}

/// The editor's fields exactly as typed; [`rules::read_form`] reads them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DraftForm {
    pub title: String,
    pub description: String,
    /// "sisal, leather" or one per line.
    pub materials: String,
    pub category: Option<Category>,
    /// "1,250", "KSh 1,250.50", ...
    pub price: String,
    pub weekly_capacity: String,
}

/// A per-field edit: `None` leaves the field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DraftPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub materials: Option<Vec<String>>,
    pub category: Option<Category>,
    pub price_minor: Option<i64>,
    pub weekly_capacity: Option<u32>,
}

/// The fields a validation error can point at (the UI shows the message next to it).
/// Ordered as the editor shows them, so errors can be listed top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DraftField {
    Title,
    Description,
    Materials,
    Category,
    Price,
    WeeklyCapacity,
}

impl DraftField {
    /// The name used in `field_versions` and on the wire.
    pub fn code(self) -> &'static str {
        match self {
            DraftField::Title => "title",
            DraftField::Description => "description",
            DraftField::Materials => "materials",
            DraftField::Category => "category",
            DraftField::Price => "price",
            DraftField::WeeklyCapacity => "weekly_capacity",
        }
    }

    pub const ALL: [DraftField; 6] = [
        DraftField::Title,
        DraftField::Description,
        DraftField::Materials,
        DraftField::Category,
        DraftField::Price,
        DraftField::WeeklyCapacity,
    ];

    pub fn from_code(code: &str) -> Option<DraftField> {
        DraftField::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// What is wrong with a field, in terms the UI can translate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong { max: u32 },
    TooMany { max: u32 },
    TooSmall { min: i64 },
    TooLarge { max: i64 },
    InvalidCharacters,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: DraftField,
    pub problem: Problem,
}
