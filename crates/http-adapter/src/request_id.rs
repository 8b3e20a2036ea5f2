//! `X-Request-Id`: every request gets one, every response and log line
//! carries it, every error body repeats it.
//!
//! The id of the request being served lives in a task-local for the
//! duration of the inner service call, so that error rendering deep inside
//! an extractor can name it without threading the request through.

use actix_web::{
    Error, HttpMessage,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    error::InternalError,
    http::header::{HeaderName, HeaderValue},
};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use std::{fmt, rc::Rc, sync::Arc};

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
            .unwrap_or_else(|| Self(Arc::from(uuid::Uuid::new_v4().to_string())))
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
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdentity;

impl<S, B> Transform<S, ServiceRequest> for RequestIdentity
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestIdentityMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestIdentityMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The service [`RequestIdentity`] wraps around the app.
#[derive(Debug)]
pub struct RequestIdentityMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestIdentityMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = RequestId::from_incoming(req.headers().get(HEADER));
        req.extensions_mut().insert(id.clone());
        let service = Rc::clone(&self.service);
        // No clone of the HttpRequest may outlive this call's start: the
        // router needs the only reference to record the matched path.
        Box::pin(CURRENT.scope(id.clone(), async move {
            let header = HeaderValue::from_str(id.as_str()).ok();
            match service.call(req).await {
                Ok(mut response) => {
                    if let Some(value) = header {
                        response.headers_mut().insert(HEADER, value);
                    }
                    Ok(response)
                }
                // An error that escaped every inner layer: render it here,
                // inside the scope, so that its body still names the request.
                Err(error) => {
                    let mut response = error.error_response();
                    if let Some(value) = header {
                        response.headers_mut().insert(HEADER, value);
                    }
                    Err(InternalError::from_response(error, response).into())
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn routed_requests_keep_working_under_it() {
        use actix_web::{App, HttpResponse, test, web};
        let app = test::init_service(
            App::new()
                .route(
                    "/items/{id}",
                    web::get().to(|id: web::Path<String>| async move {
                        HttpResponse::Ok().body(id.into_inner())
                    }),
                )
                .wrap(RequestIdentity),
        )
        .await;
        let request = test::TestRequest::get()
            .uri("/items/7")
            .insert_header((HEADER, "id-1"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.headers().get(HEADER).unwrap(), "id-1");
        assert_eq!(test::read_body(response).await, "7");
    }

    #[actix_web::test]
    async fn escaped_errors_are_rendered_with_the_id() {
        use crate::ApiError;
        use actix_web::dev::{Service as _, Transform as _};
        let inner = actix_web::dev::fn_service(|_: ServiceRequest| async {
            Err::<ServiceResponse, Error>(ApiError::EndpointNotFound.into())
        });
        let service = RequestIdentity.new_transform(inner).await.unwrap();
        let request = actix_web::test::TestRequest::get()
            .insert_header((HEADER, "id-2"))
            .to_srv_request();
        let error = service.call(request).await.err().unwrap();
        let response = error.error_response();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers().get(HEADER).unwrap(), "id-2");
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["request_id"], "id-2");
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
}
