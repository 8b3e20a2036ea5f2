//! Every error answer of the API, mapped in one place.
//!
//! Handlers and extractors return [`ApiError`]; its [`ResponseError`] impl
//! picks the status and renders `{"error", "request_id", "details"?}`. The
//! client sees one short line; the cause chain of an unexpected failure goes
//! to the log only.

use crate::json::JsonAnswer;
use crate::request_id::RequestId;
use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
};
use serde::Serialize;
use std::fmt;
use trellis_domain::Violation;
use trellis_ports::{BoxError, Resource, ServiceError};
use utoipa::ToSchema;

/// Seconds a client is told to wait before retrying a 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// An error answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the input broke these rules.
    #[error("Validation failed")]
    Validation(Vec<Violation>),
    /// 400: the body is not JSON.
    #[error("Invalid JSON")]
    InvalidJson,
    /// 400: a write referred to something that does not exist.
    #[error("Referenced resource not found")]
    ReferenceMissing,
    /// 401: no bearer token.
    #[error("Authentication required")]
    AuthenticationRequired,
    /// 401: the token's `exp` has passed.
    #[error("Token expired")]
    TokenExpired,
    /// 401: bad signature, malformed, wrong algorithm.
    #[error("Invalid token")]
    InvalidToken,
    /// 401: the token's session has ended.
    #[error("Token revoked")]
    TokenRevoked,
    /// 401: unknown e-mail or wrong password.
    #[error("Invalid credentials")]
    InvalidCredentials,
    /// 401: a refresh token that cannot be used (unknown, expired, ended,
    /// or spent).
    #[error("Invalid refresh token")]
    InvalidRefreshToken,
    /// 401: a stream ticket that is unknown, spent or expired.
    #[error("Invalid ticket")]
    InvalidTicket,
    /// 403: the caller's role does not allow this.
    #[error("Insufficient permissions")]
    Forbidden,
    /// 404: no such user (or not visible to the caller).
    #[error("User not found")]
    UserNotFound,
    /// 404: no such project (or not the caller's).
    #[error("Project not found")]
    ProjectNotFound,
    /// 404: no such session (or not the caller's).
    #[error("Session not found")]
    SessionNotFound,
    /// 404: no such attachment of this project.
    #[error("Attachment not found")]
    AttachmentNotFound,
    /// 404: no route matches.
    #[error("Endpoint not found")]
    EndpointNotFound,
    /// 405: the path exists, the method does not; `allow` lists those that do.
    #[error("Method not allowed")]
    MethodNotAllowed {
        /// The value of the `Allow` header, e.g. `"GET, POST"`.
        allow: &'static str,
    },
    /// 406: a `GET /api/events` that is neither a WebSocket upgrade nor
    /// accepts `text/event-stream`.
    #[error("Not acceptable")]
    NotAcceptable,
    /// 409: the e-mail belongs to another account.
    #[error("Email already registered")]
    EmailTaken,
    /// 409: another uniqueness rule.
    #[error("Resource already exists")]
    Conflict,
    /// 409: the first request with this idempotency key is still running.
    #[error("Request in progress")]
    KeyInUse,
    /// 409: the project has as many attachments as allowed.
    #[error("Too many attachments")]
    TooManyAttachments,
    /// 416: a `Range` that the file cannot satisfy; `size` is its length.
    #[error("Range not satisfiable")]
    RangeNotSatisfiable {
        /// The file's size in bytes, for `Content-Range: bytes */<size>`.
        size: u64,
    },
    /// 412: `If-Match` named none of the resource's current version.
    #[error("Precondition failed")]
    PreconditionFailed,
    /// 413: the body is over the limit.
    #[error("Payload too large")]
    PayloadTooLarge,
    /// 415: a write with a body that is neither JSON nor a form.
    #[error("Unsupported content type")]
    UnsupportedMediaType,
    /// 422: an idempotency key sent again with another body.
    #[error("Idempotency key reused with a different body")]
    KeyReused,
    /// 429: over the rate limit; retry after this many seconds.
    #[error("Too many requests")]
    TooManyRequests {
        /// Seconds until the window resets.
        retry_after_secs: u64,
    },
    /// 429: the caller has as many event streams open as it may.
    #[error("Too many streams")]
    TooManyStreams,
    /// 503: a dependency is down or saturated.
    #[error("Service unavailable")]
    Unavailable(#[source] BoxError),
    /// 500: anything else; the cause is logged, never shown.
    #[error("Internal server error")]
    Internal(#[source] BoxError),
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(violations) => Self::Validation(violations),
            ServiceError::EmailTaken => Self::EmailTaken,
            ServiceError::InvalidCredentials => Self::InvalidCredentials,
            ServiceError::InvalidRefreshToken => Self::InvalidRefreshToken,
            ServiceError::NotFound(Resource::User) => Self::UserNotFound,
            ServiceError::NotFound(Resource::Project) => Self::ProjectNotFound,
            ServiceError::NotFound(Resource::Session) => Self::SessionNotFound,
            ServiceError::NotFound(Resource::Attachment) => Self::AttachmentNotFound,
            ServiceError::Forbidden => Self::Forbidden,
            ServiceError::Conflict => Self::Conflict,
            ServiceError::ReferenceMissing => Self::ReferenceMissing,
            ServiceError::TooManyAttempts { retry_after } => Self::TooManyRequests {
                retry_after_secs: retry_after.as_millis().div_ceil(1000).max(1) as u64,
            },
            ServiceError::PreconditionFailed => Self::PreconditionFailed,
            ServiceError::KeyReused => Self::KeyReused,
            ServiceError::KeyInUse => Self::KeyInUse,
            ServiceError::TooManyStreams => Self::TooManyStreams,
            ServiceError::InvalidTicket => Self::InvalidTicket,
            ServiceError::TooLarge => Self::PayloadTooLarge,
            ServiceError::UnsupportedType => Self::UnsupportedMediaType,
            ServiceError::TooManyAttachments => Self::TooManyAttachments,
            ServiceError::Upload(_) => {
                Self::Validation(vec![Violation::new("file", "could not be read")])
            }
            ServiceError::Unavailable(cause) => Self::Unavailable(cause),
            ServiceError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// One short, stable line (clients match on it).
    #[schema(example = "Validation failed")]
    pub error: String,
    /// The request's `X-Request-Id`.
    #[schema(example = "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81")]
    pub request_id: &'a str,
    /// For validation errors: every failing field, as `"<field>: <message>"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<String>, required = false, example = json!(["name: must not be empty"]))]
    pub details: Option<Vec<String>>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::InvalidJson | Self::ReferenceMissing => {
                StatusCode::BAD_REQUEST
            }
            Self::AuthenticationRequired
            | Self::TokenExpired
            | Self::InvalidToken
            | Self::TokenRevoked
            | Self::InvalidCredentials
            | Self::InvalidRefreshToken
            | Self::InvalidTicket => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::UserNotFound
            | Self::ProjectNotFound
            | Self::SessionNotFound
            | Self::AttachmentNotFound
            | Self::EndpointNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::EmailTaken | Self::Conflict | Self::KeyInUse | Self::TooManyAttachments => {
                StatusCode::CONFLICT
            }
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } | Self::TooManyStreams => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let request_id = RequestId::current();
        let body = ErrorBody {
            error: self.to_string(),
            request_id: request_id.as_ref().map_or("", RequestId::as_str),
            details: match self {
                Self::Validation(violations) => {
                    Some(violations.iter().map(ToString::to_string).collect())
                }
                _ => None,
            },
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::AuthenticationRequired
            | Self::TokenExpired
            | Self::InvalidToken
            | Self::TokenRevoked
            | Self::InvalidCredentials
            | Self::InvalidRefreshToken
            | Self::InvalidTicket => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
            }
            Self::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::RangeNotSatisfiable { size } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            }
            Self::Unavailable(_) => {
                response.insert_header((
                    header::RETRY_AFTER,
                    UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
                ));
            }
            _ => {}
        }
        response.json_utf8(body)
    }
}

impl ApiError {
    /// Logs what the client is not told: the cause chain of a 5xx.
    fn log(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %Chain(cause.as_ref()), "request failed");
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error = %Chain(cause.as_ref()), "dependency unavailable");
            }
            _ => {}
        }
    }
}

/// Displays an error and all its sources: `a: b: c`.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn render(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body()).await.unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[actix_web::test]
    async fn validation_lists_every_field() {
        let (status, body) = render(ApiError::Validation(vec![
            Violation::new("name", "must not be empty"),
            Violation::new("budget", "must be greater than 0"),
        ]))
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "Validation failed");
        assert_eq!(
            body["details"],
            serde_json::json!(["name: must not be empty", "budget: must be greater than 0"])
        );
    }

    #[actix_web::test]
    async fn internal_causes_stay_out_of_the_body() {
        let cause: BoxError = "relation \"users\" does not exist".into();
        let (status, body) = render(ApiError::Internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "Internal server error");
        assert!(!body.to_string().contains("relation"));
        assert!(body.get("details").is_none());
    }

    #[test]
    fn unauthorized_answers_carry_the_bearer_challenge() {
        for error in [
            ApiError::AuthenticationRequired,
            ApiError::TokenExpired,
            ApiError::InvalidToken,
        ] {
            let response = error.error_response();
            assert_eq!(
                response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
                "Bearer"
            );
        }
    }
}
