//! Who a caller is: the four roles, and a caller's relation to the artisan who owns a record.
//! Plain values at the bottom of the protocol crate (the wire, the tables and the access rules
//! all name them).

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Artisan,
    Mentor,
    Staff,
    Operations,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Artisan, Role::Mentor, Role::Staff, Role::Operations];
    pub fn code(self) -> &'static str {
        match self {
            Role::Artisan => "artisan",
            Role::Mentor => "mentor",
            Role::Staff => "staff",
            Role::Operations => "operations",
        }
    }
    pub fn from_code(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }
    /// Depot staff and operations see and act on every record of their depot (staff on their
    /// own depot's only when a deployment has several: [`Relation::OtherDepot`]).
    pub fn is_depot_wide(self) -> bool {
        matches!(self, Role::Staff | Role::Operations)
    }
}

/// The caller's relation to the artisan who owns a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The caller is the owning artisan.
    Owner,
    /// The caller is the owning artisan's mentor.
    Mentor,
    /// Neither (staff and operations act by role, not relation).
    Other,
    /// The caller is depot staff and the owning artisan belongs to another depot of the
    /// deployment (ADR 0030): nothing of hers is theirs to read or act on. Only the depot's
    /// facts tell this (`depot::DepotFacts::same_depot`); a phone's rules never meet it.
    OtherDepot,
}
