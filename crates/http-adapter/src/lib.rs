//! The HTTP face of Trellis, on actix-web.
//!
//! [`app`] builds the whole actix `App` over an [`AppState`] of services.
//! Handlers only translate: a body becomes a domain value ([`body`],
//! [`dto`]), the caller an [`Actor`](trellis_ports::Actor) ([`auth`]), a
//! service answers, and its errors become JSON in one place ([`error`]).
//! [`openapi`] documents it all, served at `/api/openapi.json` and `/docs`.

pub mod auth;
pub mod body;
pub mod client;
pub mod conditional;
pub mod dto;
pub mod error;
pub mod hardening;
pub mod idempotency;
pub mod json;
pub mod lifecycle;
pub mod openapi;
pub mod query;
pub mod request_id;
pub mod route;
mod routes;
mod state;

pub use auth::{AdminUser, AuthUser, Claims, TokenError, TokenKeys};
pub use error::ApiError;
pub use lifecycle::Lifecycle;
pub use request_id::RequestId;
pub use state::AppState;

use hardening::{Hardening, RateLimit, RequestSpan};
use std::sync::Arc;
use tracing_actix_web::TracingLogger;

use actix_web::{
    App, Error,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::from_fn,
    web,
};

/// The Trellis API: every route of the contract, `GET /metrics`, 404
/// `Endpoint not found` for any other path, and the layers every request
/// crosses, each answering with the API's JSON errors.
///
/// From the outside in (actix runs the layer wrapped **last** first), a
/// request meets:
///
/// 1. the drain layer: while the instance drains, every answer closes its
///    connection ([`lifecycle`]);
/// 2. the request id, scoped to the request's task so that every error
///    body and log line below can name it; it renders errors that escape
///    the layers inside it ([`request_id`]);
/// 3. the request's span, and the access line with the final status and
///    the whole latency ([`hardening::access_log`]);
/// 4. the metrics, counting what the client actually got, rejections
///    included ([`hardening::metrics`]);
/// 5. the security headers, on every answer ([`mod@hardening::security_headers`]);
/// 6. CORS, answering preflights before they spend any rate-limit budget
///    and adding its headers to everything below, 429s included
///    ([`hardening::cors`]);
/// 7. the rate limits, last, so that a refused request costs nothing more
///    ([`hardening::rate_limit`]);
/// 8. the routes.
pub fn app(
    state: AppState,
    hardening: Hardening,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let Hardening {
        cors,
        limiter,
        trust_proxy_hops,
        metrics,
        slow_request,
    } = hardening;
    let limits = RateLimit::new(limiter, trust_proxy_hops);
    let lifecycle = state.lifecycle.clone();
    let recorder = Arc::clone(&metrics);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::from(Arc::clone(&metrics)))
        .configure(routes::configure)
        .service(
            web::resource("/metrics")
                .route(routes::get_or_head().to(hardening::metrics::metrics_endpoint))
                .default_service(routes::method_not_allowed("GET, HEAD")),
        )
        .default_service(routes::endpoint_not_found())
        .wrap(from_fn(move |req, next| {
            hardening::rate_limit::limit(limits.clone(), req, next)
        }))
        .wrap(cors)
        .wrap(hardening::security_headers())
        .wrap(from_fn(move |req, next| {
            hardening::metrics::record(Arc::clone(&recorder), req, next)
        }))
        .wrap(from_fn(move |req, next| {
            hardening::access_log::access_line(slow_request, req, next)
        }))
        .wrap(TracingLogger::<RequestSpan>::new())
        .wrap(from_fn(request_id::identify))
        .wrap(from_fn(move |req, next| {
            lifecycle::close_when_draining(lifecycle.clone(), req, next)
        }))
}
