//! An admin changing a user's role: `{"role": "user" | "admin"}`, JSON only.

use crate::body::{Fields, FromFields, Kind};
use time::Date;
use trellis_domain::{Role, Violation};

/// The body of `PATCH /api/users/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleChange(pub Role);

impl FromFields for RoleChange {
    const ACCEPTS_FORM: bool = false;

    fn from_fields(mut fields: Fields, _today: Date) -> Result<Self, Vec<Violation>> {
        let role = fields.required("role", Kind::Text, str::parse::<Role>);
        fields.finish(role.map(RoleChange))
    }
}
