//! Accounts on the wire: sign-up, log-in and profile bodies, and the user
//! as clients see it (never with a password or hash).

use super::timestamp;
use crate::body::{Body, Field, Fields, FromFields, Kind};
use crate::openapi::schemas::{NO_NUL, text, trimmed};
use serde::Serialize;
use trellis_domain::{
    Draft, Email, FullName, Password, ProfilePatch, Role, Timestamp, User, UserId, Violation,
};
use trellis_ports::Registration;
use utoipa::{
    ToSchema,
    openapi::{KnownFormat, RefOr, Schema, SchemaFormat},
};

const EMAIL: Field<Email> = Field::new("email", Kind::Text, Email::parse, email, email);
const NEW_PASSWORD: Field<Password> = Field::new(
    "password",
    Kind::Text,
    Password::parse,
    new_password,
    new_password,
);
const PASSWORD_ATTEMPT: Field<Password> = Field::new(
    "password",
    Kind::Text,
    Password::attempt,
    password_attempt,
    password_attempt,
);
pub(super) const FULL_NAME: Field<FullName> = Field::new(
    "full_name",
    Kind::Text,
    FullName::parse,
    full_name,
    full_name,
);

/// `POST /api/register`: `email`, `password` (8..128) and `full_name`, all
/// required. A `role` in the body is ignored: every sign-up is a user.
impl FromFields for Registration {
    const ACCEPTS_FORM: bool = true;
    const BODY: Body = Body::of(&[(&EMAIL, true), (&NEW_PASSWORD, true), (&FULL_NAME, true)]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let email = fields.require(&EMAIL);
        let password = fields.require(&NEW_PASSWORD);
        let full_name = fields.require(&FULL_NAME);
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
    const BODY: Body = Body::of(&[(&EMAIL, true), (&PASSWORD_ATTEMPT, true)]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let email = fields.require(&EMAIL);
        let password = fields.require(&PASSWORD_ATTEMPT);
        let credentials = email
            .zip(password)
            .map(|(email, password)| Credentials { email, password });
        fields.finish(credentials)
    }
}

/// `PATCH /api/me`: a new `full_name`, a new `email`, or both.
#[derive(Debug)]
pub struct ProfileUpdateBody(pub Draft<ProfilePatch>);

impl FromFields for ProfileUpdateBody {
    const ACCEPTS_FORM: bool = true;
    const BODY: Body = Body::of(&[(&FULL_NAME, false), (&EMAIL, false)]).at_least_one();

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let patch = ProfilePatch {
            full_name: fields.take(&FULL_NAME).into_value(),
            email: fields.take(&EMAIL).into_value(),
        };
        Ok(Self(fields.into_draft(patch)))
    }
}

/// An e-mail address (trimmed, lower-cased).
fn email() -> RefOr<Schema> {
    text("An e-mail address; trimmed and lower-cased before it is stored or compared.")
        .format(Some(SchemaFormat::Custom("email".into())))
        .max_length(Some(Email::MAX_CHARS))
        .examples(["ada@example.com"])
        .into()
}

/// A new password.
pub(super) fn new_password() -> RefOr<Schema> {
    text("8 to 128 characters, kept as written (not trimmed).")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(Password::MIN_CHARS))
        .max_length(Some(Password::MAX_CHARS))
        .pattern(Some(NO_NUL))
        .examples(["correct horse battery"])
        .into()
}

/// A password attempt at log-in.
pub(super) fn password_attempt() -> RefOr<Schema> {
    text("The account's password.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(1))
        .pattern(Some(NO_NUL))
        .examples(["correct horse battery"])
        .into()
}

/// A person's name.
fn full_name() -> RefOr<Schema> {
    trimmed("Trimmed, 1 to 100 characters.", 1, FullName::MAX_CHARS)
        .examples(["Ada Lovelace"])
        .into()
}

/// `user` or `admin`.
pub(crate) fn role() -> RefOr<Schema> {
    text("What the account may do: admins also manage users.")
        .enum_values(Some([Role::User, Role::Admin].map(Role::as_str)))
        .examples(["user"])
        .into()
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
    #[schema(schema_with = role)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
            details(Registration::from_fields(fields.unwrap())),
            [
                "email: must be a valid email address",
                "password: must be at least 8 characters",
                "full_name: is required"
            ]
        );
        let form =
            Fields::from_form(b"email=A%40B.co&password=12345678&full_name=+Ada+&role=admin");
        let registration = Registration::from_fields(form).unwrap();
        assert_eq!(registration.email.as_str(), "a@b.co");
        assert_eq!(registration.full_name.as_str(), "Ada");
    }

    #[test]
    fn login_needs_both_fields() {
        let fields = Fields::from_json(br#"{"email":"a@b.co","password":""}"#).unwrap();
        assert_eq!(
            details(Credentials::from_fields(fields)),
            ["password: is required"]
        );
    }

    fn profile(fields: Fields) -> Result<ProfilePatch, Vec<Violation>> {
        ProfileUpdateBody::from_fields(fields)?.0.into_patch()
    }

    #[test]
    fn profile_patch_must_change_something() {
        let fields = Fields::from_json(br#"{"role":"admin"}"#).unwrap();
        assert_eq!(
            details(profile(fields)),
            ["body: must contain at least one of: full_name, email"]
        );
        let fields = Fields::from_json(br#"{"full_name":null,"email":" B@C.io"}"#).unwrap();
        assert_eq!(details(profile(fields)), ["full_name: must not be null"]);
        let fields = Fields::from_json(br#"{"full_name":"","email":5}"#).unwrap();
        assert_eq!(
            details(profile(fields)),
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
