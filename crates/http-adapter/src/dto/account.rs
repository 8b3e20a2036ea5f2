//! Accounts on the wire: sign-up, log-in and profile bodies, and the user
//! as clients see it (never with a password or hash).

use super::timestamp;
use crate::body::{Fields, FromFields, Kind};
use serde::Serialize;
use time::Date;
use trellis_domain::{
    Email, FullName, Password, ProfilePatch, Role, Timestamp, User, UserId, Violation,
};
use trellis_ports::Registration;
use utoipa::ToSchema;

/// `POST /api/register`: `email`, `password` (8..128) and `full_name`, all
/// required. A `role` in the body is ignored: every sign-up is a user.
impl FromFields for Registration {
    const ACCEPTS_FORM: bool = true;

    fn from_fields(mut fields: Fields, _today: Date) -> Result<Self, Vec<Violation>> {
        let email = fields.required("email", Kind::Text, Email::parse);
        let password = fields.required("password", Kind::Text, Password::parse);
        let full_name = fields.required("full_name", Kind::Text, FullName::parse);
        let registration = match (email, password, full_name) {
            (Some(email), Some(password), Some(full_name)) => Some(Registration {
                email,
                password,
                full_name,
            }),
            _ => None,
        };
        fields.finish(registration)
    }
}

/// `POST /api/login`: an e-mail address and a non-empty password.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The login.
    pub email: Email,
    /// The attempt (not checked against the rules for new passwords).
    pub password: Password,
}

impl FromFields for Credentials {
    const ACCEPTS_FORM: bool = true;

    fn from_fields(mut fields: Fields, _today: Date) -> Result<Self, Vec<Violation>> {
        let email = fields.required("email", Kind::Text, Email::parse);
        let password = fields.required("password", Kind::Text, Password::attempt);
        let credentials = email
            .zip(password)
            .map(|(email, password)| Credentials { email, password });
        fields.finish(credentials)
    }
}

/// `PATCH /api/me`: a new `full_name`, a new `email`, or both.
impl FromFields for ProfilePatch {
    const ACCEPTS_FORM: bool = true;

    fn from_fields(mut fields: Fields, _today: Date) -> Result<Self, Vec<Violation>> {
        let patch = ProfilePatch {
            full_name: fields.present("full_name", Kind::Text, FullName::parse),
            email: fields.present("email", Kind::Text, Email::parse),
        };
        if !fields.has_failed()
            && let Err(violation) = patch.require_change()
        {
            fields.violate(violation.field, violation.message);
        }
        fields.finish(Some(patch))
    }
}

/// A user as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    id: UserId,
    #[schema(value_type = String, format = Email, example = "ada@example.com")]
    email: Email,
    #[schema(value_type = String, example = "Ada Lovelace")]
    full_name: FullName,
    #[schema(schema_with = crate::openapi::schemas::role)]
    role: Role,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    created_at: Timestamp,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            full_name: user.full_name,
            role: user.role,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `{"user"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    /// The user.
    pub user: UserView,
}

impl From<User> for UserEnvelope {
    fn from(user: User) -> Self {
        Self { user: user.into() }
    }
}

/// `{"user", "token"}`: the answer to signing up or logging in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Who is now logged in.
    pub user: UserView,
    /// Their bearer token (a JWT).
    #[schema(example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl")]
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const TODAY: Date = date!(2026 - 11 - 24);

    fn details<T: std::fmt::Debug>(result: Result<T, Vec<Violation>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn registration_reports_every_field_and_ignores_role() {
        let fields = Fields::from_json(br#"{"email":"x","password":"short","role":"admin"}"#);
        assert_eq!(
            details(Registration::from_fields(fields.unwrap(), TODAY)),
            [
                "email: must be a valid email address",
                "password: must be at least 8 characters",
                "full_name: is required"
            ]
        );
        let form =
            Fields::from_form(b"email=A%40B.co&password=12345678&full_name=+Ada+&role=admin");
        let registration = Registration::from_fields(form, TODAY).unwrap();
        assert_eq!(registration.email.as_str(), "a@b.co");
        assert_eq!(registration.full_name.as_str(), "Ada");
    }

    #[test]
    fn login_needs_both_fields() {
        let fields = Fields::from_json(br#"{"email":"a@b.co","password":""}"#).unwrap();
        assert_eq!(
            details(Credentials::from_fields(fields, TODAY)),
            ["password: is required"]
        );
    }

    #[test]
    fn profile_patch_must_change_something() {
        let fields = Fields::from_json(br#"{"role":"admin"}"#).unwrap();
        assert_eq!(
            details(ProfilePatch::from_fields(fields, TODAY)),
            ["body: must contain at least one of: full_name, email"]
        );
        let fields = Fields::from_json(br#"{"full_name":null,"email":" B@C.io"}"#).unwrap();
        assert_eq!(
            details(ProfilePatch::from_fields(fields, TODAY)),
            ["full_name: must not be null"]
        );
        let fields = Fields::from_json(br#"{"full_name":"","email":5}"#).unwrap();
        assert_eq!(
            details(ProfilePatch::from_fields(fields, TODAY)),
            ["full_name: must not be empty", "email: must be a string"]
        );
    }

    #[test]
    fn users_render_without_secrets() {
        let user = User {
            id: UserId::generate(),
            email: Email::parse("ada@example.com").unwrap(),
            full_name: FullName::parse("Ada").unwrap(),
            role: Role::Admin,
            created_at: datetime!(2026-11-23 10:00:00.5 UTC),
            updated_at: datetime!(2026-11-23 10:00:00.5 UTC),
        };
        let json = serde_json::to_value(UserEnvelope::from(user.clone())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"user": {
                "id": user.id.to_string(), "email": "ada@example.com", "full_name": "Ada",
                "role": "admin", "created_at": "2026-11-23T10:00:00.500000Z",
                "updated_at": "2026-11-23T10:00:00.500000Z"
            }})
        );
    }
}
