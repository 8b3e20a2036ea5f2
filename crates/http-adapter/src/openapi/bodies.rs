//! Schemas of the request bodies, built from the bodies' own field tables
//! ([`FromFields::BODY`]): a body's fields are declared once, with the code
//! that reads them.
//!
//! Bodies are not deserialized into structs: they are read field by field
//! so that every failing field is reported. Each type here names one body
//! in the document; it is never built. Unknown fields are ignored, so no
//! schema forbids additional properties.

use crate::body::{Body, Format, FromFields};
use crate::dto::{Credentials as Login, NewProjectBody, ProfileUpdateBody, ProjectUpdateBody};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{RefOr, Schema},
};

/// Declares a schema type for the JSON body `$body`.
macro_rules! body_schema {
    ($(#[$doc:meta])* $name:ident = $body:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $body.schema(Format::Json)
            }
        }

        impl ToSchema for $name {}
    };
}

/// The body of `T`.
const fn body<T: FromFields>() -> Body {
    T::BODY
}

body_schema!(
    /// `POST /api/register`: `role` is ignored, every sign-up is a user.
    Registration = body::<trellis_ports::Registration>()
);
body_schema!(
    /// `POST /api/login`.
    Credentials = body::<Login>()
);
body_schema!(
    /// `PATCH /api/me`: a new name, a new e-mail address, or both.
    ProfileUpdate = body::<ProfileUpdateBody>()
);
body_schema!(
    /// `POST /api/projects`: `name` required; `status` defaults to `active`.
    NewProject = body::<NewProjectBody>()
);
body_schema!(
    /// `PUT` and `PATCH /api/projects/{id}`: a partial update, at least one field.
    ProjectUpdate = body::<ProjectUpdateBody>()
);
body_schema!(
    /// `POST /api/token/refresh`.
    Refresh = body::<crate::dto::RefreshBody>()
);
body_schema!(
    /// `PATCH /api/me/password`.
    PasswordChange = body::<crate::dto::PasswordChange>()
);
body_schema!(
    /// `PATCH /api/users/{id}`: the new role.
    RoleChange = body::<crate::dto::RoleChange>()
);

/// The operations that also take `application/x-www-form-urlencoded`, by
/// operation id, and the body each reads.
pub(super) const FORM_BODIES: [(&str, &str, Body); 6] = [
    (
        "register",
        "Registration",
        body::<trellis_ports::Registration>(),
    ),
    ("login", "Credentials", body::<Login>()),
    ("update_me", "ProfileUpdate", body::<ProfileUpdateBody>()),
    ("create_project", "NewProject", body::<NewProjectBody>()),
    (
        "replace_project",
        "ProjectUpdate",
        body::<ProjectUpdateBody>(),
    ),
    (
        "update_project",
        "ProjectUpdate",
        body::<ProjectUpdateBody>(),
    ),
];

/// `POST /api/projects/{id}/attachments`: one part named `file`.
#[derive(Debug)]
pub struct AttachmentUpload;

impl PartialSchema for AttachmentUpload {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .property(
                "file",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .content_media_type("application/octet-stream")
                    .description(Some(
                        "The file's bytes; its `filename` is kept (without any directory part).",
                    )),
            )
            .required("file")
            .into()
    }
}

impl ToSchema for AttachmentUpload {}

/// A file's bytes, as downloaded: any type (the one sniffed at upload).
#[derive(Debug)]
pub struct FileBytes;

impl PartialSchema for FileBytes {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for FileBytes {}
