//! Sessions on the wire: the answers that carry tokens, the refresh and
//! password-change bodies, and a session as its owner sees it.

use super::{
    UserView,
    account::{new_password, password_attempt},
    timestamp,
};
use crate::{
    ApiError, TokenKeys,
    body::{Body, Field, Fields, FromFields, Kind},
    openapi::schemas::text,
};
use serde::Serialize;
use trellis_domain::{Password, RefreshToken, Session, SessionId, Timestamp, Violation};
use trellis_ports::Grant;
use utoipa::{
    ToSchema,
    openapi::{RefOr, Schema},
};

const REFRESH_TOKEN: Field<RefreshToken> = Field::new(
    "refresh_token",
    Kind::Text,
    RefreshToken::parse,
    refresh_token,
    refresh_token,
);
const CURRENT_PASSWORD: Field<Password> = Field::new(
    "current_password",
    Kind::Text,
    Password::attempt,
    password_attempt,
    password_attempt,
);
const NEW_PASSWORD: Field<Password> = Field::new(
    "new_password",
    Kind::Text,
    Password::parse,
    new_password,
    new_password,
);

fn refresh_token() -> RefOr<Schema> {
    text("The refresh token of the last answer that carried one.")
        .min_length(Some(1))
        .max_length(Some(512))
        .pattern(Some("^[!-~]+$"))
        .examples(["kq3Yq2cO0oS6v1Vq1o0vTqg6p4yQ0y0b0m0Y3k7i2d8"])
        .into()
}

/// `POST /api/token/refresh`.
#[derive(Debug)]
pub struct RefreshBody(pub RefreshToken);

impl FromFields for RefreshBody {
    const ACCEPTS_FORM: bool = false;
    const BODY: Body = Body::of(&[(&REFRESH_TOKEN, true)]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let token = fields.require(&REFRESH_TOKEN);
        fields.finish(token.map(Self))
    }
}

/// `PATCH /api/me/password`.
#[derive(Debug)]
pub struct PasswordChange {
    /// The password now.
    pub current: Password,
    /// The one to have instead (8..128 characters).
    pub new: Password,
}

impl FromFields for PasswordChange {
    const ACCEPTS_FORM: bool = false;
    const BODY: Body = Body::of(&[(&CURRENT_PASSWORD, true), (&NEW_PASSWORD, true)]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let current = fields.require(&CURRENT_PASSWORD);
        let new = fields.require(&NEW_PASSWORD);
        let change = current
            .zip(new)
            .map(|(current, new)| PasswordChange { current, new });
        fields.finish(change)
    }
}

/// `{"token", "refresh_token", "expires_in"}`: a session's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// The bearer token (a JWT carrying `sid`, the session).
    #[schema(example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl")]
    pub token: String,
    /// The refresh token, spent by its next use (`POST /api/token/refresh`).
    #[schema(example = "kq3Yq2cO0oS6v1Vq1o0vTqg6p4yQ0y0b0m0Y3k7i2d8")]
    pub refresh_token: String,
    /// Seconds the bearer token is valid for.
    #[schema(example = 86400)]
    pub expires_in: i64,
}

impl TokenPair {
    /// The tokens of `grant`, the access token signed with `keys`.
    pub fn of(grant: &Grant, keys: &TokenKeys) -> Result<Self, ApiError> {
        Ok(Self {
            token: keys.issue(&grant.user, grant.session, grant.issued_at)?,
            refresh_token: grant.refresh_token.expose().to_owned(),
            expires_in: keys.lifetime_secs(),
        })
    }
}

/// `{"user", "token", "refresh_token", "expires_in"}`: the answer to signing
/// up or logging in (the [`TokenPair`] and the user; flat, as the old
/// service's clients read `user` and `token` side by side). Named
/// `Session` in the OpenAPI document, as it was before sessions were listed:
/// clients generated from the old document keep compiling.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SignedIn {
    /// Who is now logged in.
    pub user: UserView,
    /// The bearer token (a JWT carrying `sid`, the session).
    #[schema(example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl")]
    pub token: String,
    /// The refresh token, spent by its next use (`POST /api/token/refresh`).
    #[schema(example = "kq3Yq2cO0oS6v1Vq1o0vTqg6p4yQ0y0b0m0Y3k7i2d8")]
    pub refresh_token: String,
    /// Seconds the bearer token is valid for.
    #[schema(example = 86400)]
    pub expires_in: i64,
}

impl SignedIn {
    /// The answer for `grant`.
    pub fn of(grant: Grant, keys: &TokenKeys) -> Result<Self, ApiError> {
        let TokenPair {
            token,
            refresh_token,
            expires_in,
        } = TokenPair::of(&grant, keys)?;
        Ok(Self {
            user: grant.user.into(),
            token,
            refresh_token,
            expires_in,
        })
    }
}

/// A session as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    #[schema(value_type = String, format = Uuid)]
    id: SessionId,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime)]
    last_used_at: Timestamp,
    /// The client's `User-Agent` at its last use.
    #[schema(example = "Mozilla/5.0")]
    user_agent: Option<String>,
    /// The client's address at its last use.
    #[schema(example = "203.0.113.7")]
    ip: Option<String>,
    /// Whether it is the session of the token that asked.
    current: bool,
}

/// `{"data": [session, ...]}`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The caller's live sessions.
    pub data: Vec<SessionView>,
}

impl SessionList {
    /// `sessions`, `current` marking the caller's own.
    pub fn of(sessions: Vec<Session>, current: Option<SessionId>) -> Self {
        let data = sessions
            .into_iter()
            .map(|session| SessionView {
                current: Some(session.id) == current,
                id: session.id,
                created_at: session.created_at,
                last_used_at: session.last_used_at,
                user_agent: session.user_agent.map(|agent| agent.as_str().to_owned()),
                ip: session.ip.map(|ip| ip.to_string()),
            })
            .collect();
        Self { data }
    }
}
