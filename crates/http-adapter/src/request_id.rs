//! `X-Request-Id`: every request gets one, every response and log line
//! carries it, every error body repeats it.
//!
//! The id of the request being served lives in a task-local for the
//! duration of the inner service call, so that error rendering deep inside
//! an extractor can name it without threading the request through.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use std::{fmt, sync::Arc};

/// The header that carries the id, both ways.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id that is honoured.
const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of one request: the client's own if it sent a sane one (1 to 128
/// visible ASCII characters), else a fresh UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The id of the request being served on this task, if any.
    pub fn current() -> Option<RequestId> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Keeps `incoming` if it is sane, otherwise makes a new one.
    pub fn from_incoming(incoming: Option<&HeaderValue>) -> Self {
        incoming
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_sane(id))
            .map(|id| Self(Arc::from(id)))
            .unwrap_or_else(Self::generate)
    }

    /// A fresh UUIDv4, written on the stack. Its bits come from the
    /// thread's seeded generator (uuid's `fast-rng`), not from a system call
    /// per id: a `getrandom` per request was 2.5 % of `/health`'s CPU.
    fn generate() -> Self {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        Self(Arc::from(
            &*uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text),
        ))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Middleware that assigns the id, scopes it to the request's task and
/// echoes it on the response. Wrap it outside everything that may answer
/// with an error.
pub async fn identify(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::from_incoming(req.headers().get(HEADER));
    req.extensions_mut().insert(id.clone());
    let header = HeaderValue::from_str(id.as_str()).ok();
    CURRENT
        .scope(id, async move {
            match next.call(req).await {
                Ok(mut response) => {
                    if let Some(value) = header {
                        response.headers_mut().insert(HEADER, value);
                    }
                    Ok(response)
                }
                // An error that escaped every inner layer: render it here,
                // inside the scope, so that its body and headers still name
                // the request, and pass the rendered answer on. (No clone of
                // the request may be kept across the inner call to answer
                // it here: the router needs the only reference to match it.)
                Err(error) => {
                    let mut rendered = error.error_response();
                    if let Some(value) = header {
                        rendered.headers_mut().insert(HEADER, value);
                    }
                    Err(InternalError::from_response(error, rendered).into())
                }
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;
    use actix_web::{
        App, HttpResponse,
        body::to_bytes,
        dev::Service,
        middleware::from_fn,
        test::{TestRequest, call_service, init_service, try_call_service},
        web,
    };

    #[actix_web::test]
    async fn routed_answers_and_escaped_errors_both_name_the_request() {
        let app = init_service(
            App::new()
                .route("/ok", web::get().to(HttpResponse::Ok))
                .wrap_fn(|req, srv| {
                    let refuse = req.path() == "/refused";
                    let call = srv.call(req);
                    async move {
                        if refuse {
                            Err(ApiError::TooManyRequests {
                                retry_after_secs: 7,
                            }
                            .into())
                        } else {
                            call.await
                        }
                    }
                })
                .wrap(from_fn(identify)),
        )
        .await;
        let ok = TestRequest::get()
            .uri("/ok")
            .insert_header((HEADER, "id-1"))
            .to_request();
        let ok = call_service(&app, ok).await;
        assert_eq!(ok.headers().get(HEADER).unwrap(), "id-1");

        let refused = TestRequest::get()
            .uri("/refused")
            .insert_header((HEADER, "id-2"))
            .to_request();
        let error = try_call_service(&app, refused).await.err().unwrap();
        // Rendered outside the request's scope, as the server would.
        let response = error.error_response();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers().get(HEADER).unwrap(), "id-2");
        assert_eq!(response.headers().get("retry-after").unwrap(), "7");
        let body = to_bytes(response.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["request_id"], "id-2");
        assert_eq!(body["error"], "Too many requests");
    }

    #[actix_web::test]
    async fn routed_requests_keep_working_under_it() {
        let app = init_service(
            App::new()
                .route(
                    "/items/{id}",
                    web::get().to(|id: web::Path<String>| async move {
                        HttpResponse::Ok().body(id.into_inner())
                    }),
                )
                .wrap(from_fn(identify)),
        )
        .await;
        let request = TestRequest::get()
            .uri("/items/7")
            .insert_header((HEADER, "id-1"))
            .to_request();
        let response = call_service(&app, request).await;
        assert_eq!(response.headers().get(HEADER).unwrap(), "id-1");
        assert_eq!(actix_web::test::read_body(response).await, "7");
    }

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        let keep = HeaderValue::from_static("abc-123_XYZ.~");
        assert_eq!(
            RequestId::from_incoming(Some(&keep)).as_str(),
            "abc-123_XYZ.~"
        );
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        let spaced = HeaderValue::from_static("has space");
        for bad in [Some(&long), Some(&spaced), None] {
            let id = RequestId::from_incoming(bad);
            assert!(uuid::Uuid::parse_str(id.as_str()).is_ok(), "{id}");
        }
        let max = HeaderValue::from_str(&"a".repeat(128)).unwrap();
        assert_eq!(RequestId::from_incoming(Some(&max)).as_str().len(), 128);
    }

    #[test]
    fn fresh_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<_> = (0..10_000)
            .map(|_| {
                let id = RequestId::from_incoming(None);
                let parsed = uuid::Uuid::parse_str(id.as_str()).unwrap();
                assert_eq!(parsed.get_version(), Some(uuid::Version::Random), "{id}");
                assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
                assert_eq!(id.as_str(), parsed.hyphenated().to_string());
                parsed
            })
            .collect();
        assert_eq!(ids.len(), 10_000);
        let elsewhere = std::thread::spawn(|| RequestId::from_incoming(None))
            .join()
            .unwrap();
        assert!(!ids.contains(&uuid::Uuid::parse_str(elsewhere.as_str()).unwrap()));
    }
}
