//! One structured line per request, and the span every other line of the
//! request is logged under.
//!
//! tracing-actix-web's `TracingLogger` opens our own [`RequestSpan`] root
//! span; `access_line` writes the closing line: when the response is
//! ready it logs, at `info`, `method`, `route` (the template, `unmatched`
//! for 404s), `path` (without the query string, which may hold secrets),
//! `status`, `latency_ms`, `request_id` and `user_id`; and a second line at
//! `warn` when the request took longer than the slow threshold.
//!
//! Nothing else about the request is logged: no body, no header (so no
//! `Authorization`), no query string. A 5xx raised as [`ApiError`] already
//! logs its cause chain where it is rendered; any other 5xx error is logged
//! here, once.
//!
//! # The `user_id` field
//!
//! The root span declares an empty `user_id` field. The authentication
//! extractor fills it once it knows the caller by calling [`record_user`],
//! which records `user_id` on the root span (so every later line of the
//! request carries it) and keeps it for the closing line.

use crate::{ApiError, RequestId, route::Route};
use actix_web::{
    Error, HttpMessage, HttpRequest,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
};
use std::{
    fmt::Display,
    time::{Duration, Instant},
};
use tracing::{Span, field::Empty};
use tracing_actix_web::{RootSpan, RootSpanBuilder};

/// Records `user_id` on the request's root span and in the access line.
/// Call it from the extractor that authenticates the caller.
pub fn record_user(req: &HttpRequest, user_id: impl Display) {
    let user_id = user_id.to_string();
    if let Some(span) = req.extensions().get::<RootSpan>() {
        span.record("user_id", user_id.as_str());
    }
    req.extensions_mut().insert(LoggedUser(user_id));
}

/// The caller, as recorded by [`record_user`].
#[derive(Debug, Clone)]
struct LoggedUser(String);

/// The root span of a request: `request{method, route, path, request_id,
/// user_id, status}`. Never the query string, headers or client address.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .cloned()
            .or_else(RequestId::current);
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = Route::of(request).label(),
            path = request.path(),
            request_id = request_id.as_ref().map(RequestId::as_str),
            user_id = Empty,
            status = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
    }
}

/// Middleware writing the access line. Wrap it just inside
/// tracing-actix-web's `TracingLogger::<RequestSpan>`, which opens the
/// request's span around it.
pub(crate) async fn access_line(
    slow_request: Duration,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let line = AccessLine {
        method: req.method().clone(),
        path: req.path().to_owned(),
        route: Route::of(&req),
        request_id: req.extensions().get::<RequestId>().cloned(),
        slow_request,
    };
    let outcome = next.call(req).await;
    line.write(&outcome, started.elapsed());
    outcome
}

/// What the closing line says about a request, gathered before it is served
/// (the request itself is out of reach if an error escapes).
struct AccessLine {
    method: Method,
    path: String,
    route: Route,
    request_id: Option<RequestId>,
    slow_request: Duration,
}

impl AccessLine {
    fn write<B>(&self, outcome: &Result<ServiceResponse<B>, Error>, latency: Duration) {
        let (status, error, span, user) = match outcome {
            Ok(response) => {
                let extensions = response.request().extensions();
                (
                    response.status(),
                    response.response().error(),
                    extensions.get::<RootSpan>().map(|root| Span::clone(root)),
                    extensions.get::<LoggedUser>().cloned(),
                )
            }
            Err(error) => (
                error.as_response_error().status_code(),
                Some(error),
                None,
                None,
            ),
        };
        let method = self.method.as_str();
        let route = self.route.label();
        let path = self.path.as_str();
        let status = status.as_u16();
        let latency_ms = latency.as_secs_f64() * 1e3;
        let request_id = self.request_id.as_ref().map(RequestId::as_str);
        let user_id = user.as_ref().map(|user| user.0.as_str());
        span.unwrap_or_else(Span::none).in_scope(|| {
            // An ApiError logged its own causes when it was rendered.
            if let Some(error) = error
                && status >= 500
                && error.as_error::<ApiError>().is_none()
            {
                tracing::error!(%error, request_id, "request failed");
            }
            tracing::info!(
                method, route, path, status, latency_ms, request_id, user_id, "request"
            );
            if latency > self.slow_request {
                tracing::warn!(
                    method,
                    route,
                    path,
                    status,
                    latency_ms,
                    request_id,
                    user_id,
                    slow_request_ms =
                        u64::try_from(self.slow_request.as_millis()).unwrap_or(u64::MAX),
                    "slow request"
                );
            }
        });
    }
}
