//! `Idempotency-Key` on creates: the header read into a domain
//! [`IdempotencyKey`], and the header that marks a replayed answer.

use crate::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header::HeaderName};
use futures_util::future::{Ready, ready};
use trellis_domain::{IdempotencyKey, Violation};

/// The request header naming the key.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The answer header saying an earlier request's answer is repeated.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A request's `Idempotency-Key`, if it sent one: 400 when it is not 1 to
/// 255 visible ASCII characters, or sent more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency(pub Option<IdempotencyKey>);

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut values = req.headers().get_all(IDEMPOTENCY_KEY);
        let key = match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => value
                .to_str()
                .ok()
                .and_then(|text| IdempotencyKey::parse(text).ok())
                .map(Some)
                .ok_or_else(invalid),
            (Some(_), Some(_)) => Err(invalid()),
        };
        ready(key.map(Self))
    }
}

fn invalid() -> ApiError {
    ApiError::Validation(vec![Violation::new(
        "Idempotency-Key",
        trellis_domain::InvalidIdempotencyKey.to_string(),
    )])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use actix_web::test::TestRequest;

    async fn extract(values: &[&str]) -> Result<Option<String>, ApiError> {
        let mut req = TestRequest::default();
        for value in values {
            req = req.append_header((IDEMPOTENCY_KEY, *value));
        }
        let req = req.to_http_request();
        Idempotency::extract(&req)
            .await
            .map(|key| key.0.map(|key| key.as_str().to_owned()))
    }

    #[actix_web::test]
    async fn keys_are_visible_ascii_sent_once() {
        assert_eq!(extract(&[]).await.unwrap(), None);
        assert_eq!(extract(&["a-1"]).await.unwrap().as_deref(), Some("a-1"));
        assert!(matches!(extract(&[""]).await, Err(ApiError::Validation(_))));
        assert!(matches!(
            extract(&["a b"]).await,
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            extract(&["a", "b"]).await,
            Err(ApiError::Validation(_))
        ));
        let long = "k".repeat(256);
        assert!(matches!(
            extract(&[&long]).await,
            Err(ApiError::Validation(_))
        ));
    }
}
