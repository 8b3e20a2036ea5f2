//! An admin changing a user's role: `{"role": "user" | "admin"}`, JSON only.

use super::account::role;
use crate::body::{Body, Field, Fields, FromFields, Kind};
use trellis_domain::{Role, Violation};

const ROLE: Field<Role> = Field::new("role", Kind::Text, str::parse, role, role);

/// The body of `PATCH /api/users/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleChange(pub Role);

impl FromFields for RoleChange {
    const ACCEPTS_FORM: bool = false;
    const BODY: Body = Body::of(&[(&ROLE, true)]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let role = fields.require(&ROLE);
        fields.finish(role.map(RoleChange))
    }
}
