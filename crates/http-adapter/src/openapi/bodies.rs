//! Schemas of the request bodies.
//!
//! Bodies are not deserialized into structs: [`FromFields`](crate::body::FromFields)
//! reads them into domain values field by field, so that every failing field
//! is reported. These types name each body in the document and state its
//! rules; they are never built. Unknown fields are ignored, so no schema
//! forbids additional properties.

use super::schemas::{self, nullable};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{AllOfBuilder, ObjectBuilder, RefOr, Schema, Type, schema::AnyOfBuilder},
};

fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

/// `schema`, which must also contain at least one of `fields`.
fn at_least_one_of(schema: ObjectBuilder, fields: &[&str]) -> RefOr<Schema> {
    let any = fields.iter().fold(AnyOfBuilder::new(), |any, field| {
        any.item(object().required(*field))
    });
    AllOfBuilder::new().item(schema).item(any).into()
}

/// `POST /api/register`: `role` is ignored, every sign-up is a user.
#[derive(Debug)]
pub struct Registration;

impl PartialSchema for Registration {
    fn schema() -> RefOr<Schema> {
        object()
            .property("email", schemas::email())
            .property("password", schemas::new_password())
            .property("full_name", schemas::full_name())
            .required("email")
            .required("password")
            .required("full_name")
            .into()
    }
}

impl ToSchema for Registration {}

/// `POST /api/login`.
#[derive(Debug)]
pub struct Credentials;

impl PartialSchema for Credentials {
    fn schema() -> RefOr<Schema> {
        object()
            .property("email", schemas::email())
            .property("password", schemas::password_attempt())
            .required("email")
            .required("password")
            .into()
    }
}

impl ToSchema for Credentials {}

/// `PATCH /api/me`: a new name, a new e-mail address, or both.
#[derive(Debug)]
pub struct ProfileUpdate;

impl PartialSchema for ProfileUpdate {
    fn schema() -> RefOr<Schema> {
        let fields = object()
            .property("full_name", schemas::full_name())
            .property("email", schemas::email());
        at_least_one_of(fields, &["full_name", "email"])
    }
}

impl ToSchema for ProfileUpdate {}

/// The fields a JSON project body may carry; `null` means "none" (cleared
/// on update) for `description`, `budget` and `deadline`.
fn project_fields() -> ObjectBuilder {
    object()
        .property("name", schemas::project_name())
        .property(
            "description",
            nullable(schemas::description(), Type::String),
        )
        .property("status", schemas::project_status())
        .property("budget", nullable(schemas::budget(), Type::Number))
        .property("deadline", schemas::deadline_input())
}

/// The fields a project form may carry: every value is text, and an empty
/// `description`, `budget` or `deadline` means "none" (cleared on update).
fn project_form_fields() -> ObjectBuilder {
    object()
        .property("name", schemas::project_name())
        .property("description", schemas::description())
        .property("status", schemas::project_status())
        .property("budget", schemas::budget_text())
        .property("deadline", schemas::deadline_text())
}

/// `POST /api/projects`: `name` required; `status` defaults to `active`.
#[derive(Debug)]
pub struct NewProject;

impl PartialSchema for NewProject {
    fn schema() -> RefOr<Schema> {
        project_fields().required("name").into()
    }
}

impl ToSchema for NewProject {}

/// `PUT` and `PATCH /api/projects/{id}`: a partial update, at least one field.
#[derive(Debug)]
pub struct ProjectUpdate;

impl PartialSchema for ProjectUpdate {
    fn schema() -> RefOr<Schema> {
        at_least_one_of(
            project_fields(),
            &["name", "description", "status", "budget", "deadline"],
        )
    }
}

impl ToSchema for ProjectUpdate {}

/// `PATCH /api/users/{id}`: the new role.
#[derive(Debug)]
pub struct RoleChange;

impl PartialSchema for RoleChange {
    fn schema() -> RefOr<Schema> {
        object()
            .property("role", schemas::role())
            .required("role")
            .into()
    }
}

impl ToSchema for RoleChange {}

/// `POST /api/projects` as a form.
#[derive(Debug)]
pub struct NewProjectForm;

impl PartialSchema for NewProjectForm {
    fn schema() -> RefOr<Schema> {
        project_form_fields().required("name").into()
    }
}

impl ToSchema for NewProjectForm {}

/// `PUT` and `PATCH /api/projects/{id}` as a form.
#[derive(Debug)]
pub struct ProjectUpdateForm;

impl PartialSchema for ProjectUpdateForm {
    fn schema() -> RefOr<Schema> {
        at_least_one_of(
            project_form_fields(),
            &["name", "description", "status", "budget", "deadline"],
        )
    }
}

impl ToSchema for ProjectUpdateForm {}
