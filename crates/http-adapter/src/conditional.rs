//! Conditional requests (RFC 9110 §13): strong `ETag`s from a resource's
//! [`Version`], `If-None-Match` on reads (304), `If-Match` on writes (the
//! service decides it atomically with the write; 412 when it fails).

use crate::ApiError;
use actix_web::{
    FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder,
    dev::Payload,
    http::header::{ETAG, IF_MATCH, IF_NONE_MATCH},
};
use futures_util::future::{Ready, ready};
use trellis_domain::{Precondition, Version};

/// The `ETag` header value of `version`: a strong tag, `"<version>"`.
pub fn etag(version: Version) -> String {
    format!("\"{version}\"")
}

/// `builder` with the `ETag` of `version`.
pub(crate) fn tagged(mut builder: HttpResponseBuilder, version: Version) -> HttpResponseBuilder {
    builder.insert_header((ETAG, etag(version)));
    builder
}

/// The entity tags of a header value (`*` aside): their opaque values,
/// `weak` for `W/` ones. Anything malformed is skipped (it matches nothing).
fn tags(value: &str) -> impl Iterator<Item = (bool, &str)> {
    value.split(',').filter_map(|tag| {
        let tag = tag.trim();
        let (weak, quoted) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let opaque = quoted.strip_prefix('"')?.strip_suffix('"')?;
        Some((weak, opaque))
    })
}

/// A `304 Not Modified` (with the tag) if `If-None-Match` names `version`
/// (weak comparison, as RFC 9110 §13.1.2 says) or is `*`.
pub(crate) fn not_modified(req: &HttpRequest, version: Version) -> Option<HttpResponse> {
    none_match(req, &version.to_string())
        .then(|| tagged(HttpResponse::NotModified(), version).finish())
}

/// Whether the request's `If-None-Match` names the entity tag whose
/// opaque value is `current` (or is `*`): a GET answers 304 then.
pub(crate) fn none_match(req: &HttpRequest, current: &str) -> bool {
    let Some(header) = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    header.trim() == "*" || tags(header).any(|(_, opaque)| opaque == current)
}

/// A write's `If-Match`, as a domain [`Precondition`]: absent or `*`,
/// none; otherwise the versions of its strong tags (weak ones never match
/// for a write, and neither does anything unreadable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values: Vec<&str> = req
            .headers()
            .get_all(IF_MATCH)
            .map(|value| value.to_str().unwrap_or(""))
            .collect();
        let precondition = if values.is_empty() || values.iter().any(|v| v.trim() == "*") {
            Precondition::None
        } else {
            Precondition::OneOf(
                values
                    .iter()
                    .flat_map(|value| tags(value))
                    .filter(|(weak, _)| !weak)
                    .filter_map(|(_, opaque)| Version::parse(opaque))
                    .collect(),
            )
        };
        ready(Ok(Self(precondition)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn version() -> Version {
        Version::new(uuid::Uuid::now_v7(), time::OffsetDateTime::now_utc())
    }

    #[actix_web::test]
    async fn if_match_reads_strong_tags_only() {
        let v = version();
        let extract = |value: &str| {
            let req = TestRequest::default()
                .insert_header((IF_MATCH, value.to_owned()))
                .to_http_request();
            async move { IfMatch::extract(&req).await.unwrap().0 }
        };
        assert_eq!(extract("*").await, Precondition::None);
        assert_eq!(
            extract(&format!("\"x\", {}, W/{}", etag(v), etag(v))).await,
            Precondition::OneOf(vec![v])
        );
        assert_eq!(extract("garbage").await, Precondition::OneOf(vec![]));
        let none = TestRequest::default().to_http_request();
        assert_eq!(IfMatch::extract(&none).await.unwrap().0, Precondition::None);
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let v = version();
        for header in [
            etag(v),
            format!("W/{}", etag(v)),
            "*".into(),
            format!("\"a\", {}", etag(v)),
        ] {
            let req = TestRequest::default()
                .insert_header((IF_NONE_MATCH, header.clone()))
                .to_http_request();
            assert!(not_modified(&req, v).is_some(), "{header}");
        }
        let req = TestRequest::default()
            .insert_header((IF_NONE_MATCH, "\"other\""))
            .to_http_request();
        assert!(not_modified(&req, v).is_none());
    }
}
