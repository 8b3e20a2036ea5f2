//! One structured line per request, and the span every other line of the
//! request is logged under.
//!
//! [`AccessLog`] is tracing-actix-web's `TracingLogger` with our own
//! [`RequestSpan`] root span, plus the closing line: when the response is
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

use super::{metrics::UNMATCHED, settle};
use crate::{ApiError, RequestId};
use actix_web::{
    Error, HttpMessage, HttpRequest,
    body::{EitherBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use futures_util::future::LocalBoxFuture;
use std::{
    fmt::Display,
    rc::Rc,
    time::{Duration, Instant},
};
use tracing::{Span, field::Empty};
use tracing_actix_web::{RootSpan, RootSpanBuilder, TracingLogger};

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
            route = request.match_pattern().as_deref().unwrap_or(UNMATCHED),
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

/// Middleware writing the access line; wrap it just inside
/// [`RequestIdentity`](crate::RequestIdentity).
#[derive(Debug, Clone, Copy)]
pub struct AccessLog {
    slow_request: Duration,
}

impl AccessLog {
    /// Warns about requests slower than `slow_request` (`SLOW_REQUEST_MS`).
    pub fn new(slow_request: Duration) -> Self {
        Self { slow_request }
    }
}

/// The inner service, with its errors already rendered, so that the span
/// and the access line always see the final status.
type Traced<S> = <TracingLogger<RequestSpan> as Transform<Settled<S>, ServiceRequest>>::Transform;

impl<S, B> Transform<S, ServiceRequest> for AccessLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = <Traced<S> as Service<ServiceRequest>>::Response;
    type Error = Error;
    type Transform = AccessLogMiddleware<Traced<S>>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let traced = TracingLogger::<RequestSpan>::new().new_transform(Settled {
            service: Rc::new(service),
        });
        let slow_request = self.slow_request;
        Box::pin(async move {
            Ok(AccessLogMiddleware {
                traced: Rc::new(traced.await?),
                slow_request,
            })
        })
    }
}

/// The service [`AccessLog`] wraps around the app.
#[derive(Debug)]
pub struct AccessLogMiddleware<T> {
    traced: Rc<T>,
    slow_request: Duration,
}

impl<T, B> Service<ServiceRequest> for AccessLogMiddleware<T>
where
    T: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(traced);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let traced = Rc::clone(&self.traced);
        let slow_request = self.slow_request;
        Box::pin(async move {
            let response = traced.call(req).await?;
            log_line(&response, started.elapsed(), slow_request);
            Ok(response)
        })
    }
}

fn log_line<B>(response: &ServiceResponse<B>, latency: Duration, slow_request: Duration) {
    let request = response.request();
    let extensions = request.extensions();
    let span = extensions
        .get::<RootSpan>()
        .map_or_else(Span::none, |root| Span::clone(root));
    let route = request.match_pattern();
    let route = route.as_deref().unwrap_or(UNMATCHED);
    let request_id = extensions.get::<RequestId>().map(RequestId::as_str);
    let user_id = extensions.get::<LoggedUser>().map(|user| user.0.as_str());
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1e3;
    let method = request.method().as_str();
    let path = request.path();
    span.in_scope(|| {
        if let Some(error) = response.response().error()
            && response.status().is_server_error()
            && error.as_error::<ApiError>().is_none()
        {
            tracing::error!(error = %error, "request failed");
        }
        tracing::info!(
            method, route, path, status, latency_ms, request_id, user_id, "request"
        );
        if latency > slow_request {
            tracing::warn!(
                method,
                route,
                path,
                status,
                latency_ms,
                request_id,
                user_id,
                slow_request_ms = slow_request.as_millis() as u64,
                "slow request"
            );
        }
    });
}

/// Renders errors escaping `service` as responses.
#[derive(Debug)]
pub struct Settled<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for Settled<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let request = req.request().clone();
        Box::pin(async move { Ok(settle(service.call(req).await, request)) })
    }
}
