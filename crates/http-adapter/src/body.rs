//! Request bodies: JSON or an HTML form, read once into [`Fields`] and
//! turned into a request type that lists every failing field.
//!
//! Reading the body by hand (instead of `web::Json`) keeps every failure in
//! the contract's words and JSON shape:
//!
//! | what arrives | answer |
//! |---|---|
//! | more than `body_limit` bytes | 413 `Payload too large` |
//! | a non-empty body that is neither JSON nor (where allowed) a form | 415 `Unsupported content type` |
//! | JSON that does not parse | 400 `Invalid JSON` |
//! | JSON that is not an object | 400 `Validation failed`, `body: must be a JSON object` |
//! | fields of the wrong type or value | 400 `Validation failed`, one detail per field |
//!
//! An empty body, whatever its content type, is an object without fields
//! (as Express's body-parser did), so that it fails validation like `{}`.

mod field;
mod fields;

pub use field::{Body, Documented, Field, Format, Kind};
pub use fields::{Fields, Value};

use crate::{ApiError, AppState};
use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    dev::Payload,
    error::PayloadError,
    http::header::{self, HeaderMap},
    web,
};
use futures_util::{StreamExt, future::LocalBoxFuture};
use trellis_domain::Violation;

/// A request type read from a body: parses [`Fields`], reporting every
/// failing field rather than stopping at the first.
pub trait FromFields: Sized {
    /// Whether `application/x-www-form-urlencoded` is accepted besides JSON.
    const ACCEPTS_FORM: bool;

    /// Its fields, for the OpenAPI document.
    const BODY: Body;

    /// Builds the value from `fields`.
    fn from_fields(fields: Fields) -> Result<Self, Vec<Violation>>;
}

/// A parsed, validated request body of type `T`.
#[derive(Debug)]
pub struct Input<T>(pub T);

impl<T: FromFields + 'static> FromRequest for Input<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let format = Format::of(req, T::ACCEPTS_FORM);
        let declared_length = declared_length(req.headers());
        let payload = payload.take();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("AppState is not registered".into()))?;
            if declared_length.is_some_and(|length| length > state.body_limit) {
                return Err(ApiError::PayloadTooLarge);
            }
            let bytes = read_limited(payload, state.body_limit).await?;
            let fields = match (bytes.is_empty(), format) {
                (true, _) => Fields::default(),
                (false, Some(Format::Json)) => Fields::from_json(&bytes)?,
                (false, Some(Format::Form)) => Fields::from_form(&bytes),
                (false, None) => return Err(ApiError::UnsupportedMediaType),
            };
            T::from_fields(fields)
                .map(Input)
                .map_err(ApiError::Validation)
        })
    }
}

impl Format {
    /// The format the request's `Content-Type` names, if it is one accepted.
    fn of(req: &HttpRequest, accepts_form: bool) -> Option<Self> {
        let mime = req.mime_type().ok().flatten()?;
        let is_json = mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"));
        let is_form = mime.type_() == "application" && mime.subtype() == "x-www-form-urlencoded";
        if is_json {
            Some(Self::Json)
        } else if is_form && accepts_form {
            Some(Self::Form)
        } else {
            None
        }
    }
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the whole body, refusing it as soon as it passes `limit` bytes
/// (a chunked body has no length to check up front).
async fn read_limited(mut payload: Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| match error {
            PayloadError::Overflow => ApiError::PayloadTooLarge,
            _ => ApiError::Validation(vec![Violation::new("body", "could not be read")]),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(chunks: &[&'static [u8]]) -> Payload {
        let chunks: Vec<Result<web::Bytes, PayloadError>> = chunks
            .iter()
            .map(|chunk| Ok(web::Bytes::from_static(chunk)))
            .collect();
        let stream: actix_http::BoxedPayloadStream = Box::pin(futures_util::stream::iter(chunks));
        Payload::from(stream)
    }

    #[actix_web::test]
    async fn bodies_without_a_length_are_cut_at_the_limit() {
        let body = read_limited(chunked(&[b"12345", b"67890"]), 10)
            .await
            .unwrap();
        assert_eq!(&body[..], b"1234567890");
        let over = read_limited(chunked(&[b"12345", b"67890", b"!"]), 10).await;
        assert!(matches!(over, Err(ApiError::PayloadTooLarge)));
    }
}
