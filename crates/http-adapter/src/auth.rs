//! Bearer tokens: issuing them at login, and the [`AuthUser`] /
//! [`AdminUser`] extractors that check them on every protected route.
//!
//! Tokens are HS256 JWTs with the claims the service Trellis replaces used
//! (`sub` and `id` both the user id, `email`, `role`, `iat`, `exp`), so
//! tokens of either service verify in the other with the same secret.
//! Verification accepts HS256 only, requires `exp`, and allows **no
//! leeway**: a token is refused once the second its `exp` names is past.
//! Each serving thread remembers the tokens it verified (see
//! [`TokenKeys::actor`]).

mod verified;

use crate::{ApiError, AppState};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::{Ready, ready};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use std::{fmt, sync::Arc, time::Duration};
use time::OffsetDateTime;
use trellis_domain::{Role, SessionId, User, UserId};
use trellis_ports::Actor;
use verified::{Verified, VerifiedTokens};

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id (JWT subject).
    pub sub: String,
    /// The user id again, as the old service's clients read it.
    pub id: UserId,
    /// The e-mail at the time of issue.
    pub email: String,
    /// The role at the time of issue.
    pub role: Role,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
    /// The session the token belongs to; absent in tokens issued before
    /// sessions existed (judged by signature and expiry alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
}

impl Claims {
    /// The caller these claims authenticate.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            role: self.role,
            session: self.sid,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Its `exp` has passed.
    #[error("token expired")]
    Expired,
    /// Anything else: bad signature, malformed, another algorithm, missing claims.
    #[error("invalid token")]
    Invalid,
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Expired => ApiError::TokenExpired,
            TokenError::Invalid => ApiError::InvalidToken,
        }
    }
}

/// The keys that sign and verify tokens, and how long a token lives.
/// Cheap to clone.
#[derive(Clone)]
pub struct TokenKeys(Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
    verified: VerifiedTokens,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys")
            .field("lifetime", &self.0.lifetime)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys for the HMAC `secret`, issuing tokens valid for `lifetime`.
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp"]);
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
            verified: VerifiedTokens::default(),
        }))
    }

    /// A signed token for `user` in `session`, valid from `issued_at` for
    /// the configured lifetime (the same arguments give the same token).
    pub fn issue(
        &self,
        user: &User,
        session: SessionId,
        issued_at: OffsetDateTime,
    ) -> Result<String, ApiError> {
        let iat = issued_at.unix_timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            id: user.id,
            email: user.email.to_string(),
            role: user.role,
            iat,
            exp: iat.saturating_add(self.lifetime_secs()),
            sid: Some(session),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(|error| ApiError::Internal(Box::new(error)))
    }

    /// How long a token lives, in seconds (the answers' `expires_in`).
    pub fn lifetime_secs(&self) -> i64 {
        i64::try_from(self.0.lifetime.as_secs()).unwrap_or(i64::MAX)
    }

    /// The claims of `token` if it is genuine and unexpired.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.0.decoding, &self.0.validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?
            .claims;
        if claims.sub != claims.id.to_string() {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }

    /// The caller `token` authenticates if it is genuine and unexpired, as
    /// [`verify`](Self::verify) judges it; a token this thread verified
    /// before is only checked for expiry again.
    pub fn actor(&self, token: &str) -> Result<Actor, TokenError> {
        let verified = &self.0.verified;
        if let Some(known) = verified.get(token) {
            // As the verification does: expired once `exp` is past.
            let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
            if known.exp < now {
                verified.forget(token);
                return Err(TokenError::Expired);
            }
            return Ok(known.actor);
        }
        let claims = self.verify(token)?;
        let actor = claims.actor();
        verified.remember(
            token,
            Verified {
                actor,
                exp: claims.exp,
            },
        );
        Ok(actor)
    }
}

/// The authenticated caller of a route: `Authorization: Bearer <token>`.
///
/// No header, or another scheme, is `Authentication required`; a token
/// that does not verify is `Invalid token` or `Token expired`; a token of
/// an ended session is `Token revoked` (checked in memory, no I/O). The
/// scheme name is case-insensitive (RFC 7235).
#[derive(Debug, Clone, Copy)]
pub struct AuthUser(pub Actor);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(AuthUser))
    }
}

pub(crate) fn authenticate(req: &HttpRequest) -> Result<Actor, ApiError> {
    let token = bearer_token(req).ok_or(ApiError::AuthenticationRequired)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("AppState is not registered".into()))?;
    let actor = state.tokens.actor(token)?;
    if actor
        .session
        .is_some_and(|session| state.revocations.is_revoked(session))
    {
        return Err(ApiError::TokenRevoked);
    }
    crate::hardening::record_user(req, actor.id);
    Ok(actor)
}

/// The token of an `Authorization: Bearer` header, if there is one.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// An authenticated caller whose token says `admin`; others get 403
/// `Insufficient permissions` without a database call.
///
/// The admin service checks the role against storage again, so a demoted
/// admin's older token grants nothing. The converse also holds: a user
/// promoted to admin logs in again to get a token that says so.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub Actor);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|actor| match actor.role {
            Role::Admin => Ok(AdminUser(actor)),
            Role::User => Err(ApiError::Forbidden),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_domain::{Email, FullName};

    const SECRET: &[u8] = b"a-test-secret-of-at-least-32-bytes!!";

    fn user(role: Role) -> User {
        let now = OffsetDateTime::now_utc();
        User {
            id: UserId::generate(),
            email: Email::parse("ada@example.com").unwrap(),
            full_name: FullName::parse("Ada").unwrap(),
            role,
            created_at: now,
            updated_at: now,
        }
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, Duration::from_secs(3600))
    }

    fn sign(claims: &serde_json::Value, algorithm: Algorithm, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &Header::new(algorithm),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn claims_of(user: &User, exp: i64) -> serde_json::Value {
        serde_json::json!({
            "sub": user.id.to_string(), "id": user.id, "email": "ada@example.com",
            "role": user.role, "iat": exp - 10, "exp": exp,
        })
    }

    #[test]
    fn issued_tokens_verify_with_every_claim() {
        let user = user(Role::Admin);
        let session = SessionId::generate();
        let now = OffsetDateTime::now_utc();
        let token = keys().issue(&user, session, now).unwrap();
        assert_eq!(token, keys().issue(&user, session, now).unwrap());
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, user.id.to_string());
        assert_eq!(
            claims.actor(),
            Actor {
                id: user.id,
                role: Role::Admin,
                session: Some(session),
            }
        );
        assert_eq!(claims.email, "ada@example.com");
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn expired_tokens_are_told_apart_without_leeway() {
        let user = user(Role::User);
        let just_past = OffsetDateTime::now_utc().unix_timestamp() - 1;
        let token = sign(&claims_of(&user, just_past), Algorithm::HS256, SECRET);
        assert_eq!(keys().verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn forged_or_foreign_tokens_are_invalid() {
        let user = user(Role::User);
        let exp = OffsetDateTime::now_utc().unix_timestamp() + 600;
        let good = claims_of(&user, exp);
        let mut no_exp = good.clone();
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut other_sub = good.clone();
        other_sub["sub"] = serde_json::json!(UserId::generate().to_string());
        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            sign(&good, Algorithm::HS256, SECRET)
                .split('.')
                .nth(1)
                .unwrap()
        );
        for token in [
            sign(
                &good,
                Algorithm::HS256,
                b"another-secret-entirely-32-bytes!!",
            ),
            sign(&good, Algorithm::HS512, SECRET),
            sign(&no_exp, Algorithm::HS256, SECRET),
            sign(&other_sub, Algorithm::HS256, SECRET),
            unsigned,
            "garbage".to_owned(),
            String::new(),
        ] {
            assert_eq!(keys().verify(&token), Err(TokenError::Invalid), "{token}");
        }
    }

    #[test]
    fn remembered_tokens_still_expire_and_stay_with_their_keys() {
        let user = user(Role::User);
        let keys = keys();
        let token = keys
            .issue(&user, SessionId::generate(), OffsetDateTime::now_utc())
            .unwrap();
        let actor = keys.actor(&token).unwrap();
        assert_eq!(keys.actor(&token), Ok(actor), "remembered");
        assert_eq!(keys.0.verified.len(), 1);
        // Other keys (another secret) remember nothing of these.
        let other = TokenKeys::new(
            b"another-secret-entirely-32-bytes!!",
            Duration::from_secs(60),
        );
        assert_eq!(other.actor(&token), Err(TokenError::Invalid));
        // A remembered token whose `exp` has passed is refused, and forgotten.
        let past = OffsetDateTime::now_utc().unix_timestamp() - 1;
        keys.0
            .verified
            .remember(&token, Verified { actor, exp: past });
        assert_eq!(keys.actor(&token), Err(TokenError::Expired));
        assert_eq!(keys.0.verified.len(), 0);
    }

    #[test]
    fn a_thread_remembers_a_bounded_number_of_tokens() {
        let keys = keys();
        let user = user(Role::User);
        let start = OffsetDateTime::now_utc();
        for n in 0..=verified::REMEMBERED {
            let at = start - Duration::from_secs(n as u64);
            let token = keys.issue(&user, SessionId::generate(), at).unwrap();
            keys.actor(&token).unwrap();
        }
        assert!(keys.0.verified.len() <= verified::REMEMBERED);
        // Refused tokens are never remembered.
        assert_eq!(keys.actor("garbage"), Err(TokenError::Invalid));
        assert!(keys.0.verified.get("garbage").is_none());
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        let request = |value: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert_eq!(bearer_token(&request("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&request("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&request("Basic abc")), None);
        assert_eq!(bearer_token(&request("Bearer ")), None);
        assert_eq!(bearer_token(&request("abc")), None);
    }
}
