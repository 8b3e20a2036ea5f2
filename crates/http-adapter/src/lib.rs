//! The HTTP face of Trellis, on actix-web.
//!
//! [`app`] builds the whole actix `App` over an [`AppState`] of services.
//! Handlers only translate: a body becomes a domain value ([`body`],
//! [`dto`]), the caller an [`Actor`](trellis_ports::Actor) ([`auth`]), a
//! service answers, and its errors become JSON in one place ([`error`]).
//! [`openapi`] documents it all, served at `/api/openapi.json` and `/docs`.

pub mod auth;
pub mod body;
pub mod dto;
pub mod error;
pub mod hardening;
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
pub use request_id::{RequestId, RequestIdentity};
pub use state::AppState;

use hardening::{AccessLog, Hardening, HttpMetrics, RateLimit, SecurityHeaders};
use std::sync::Arc;

use actix_web::{
    App, Error,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware, web,
};

/// The Trellis API: every route of the contract, `GET /metrics`, 404
/// `Endpoint not found` for any other path, and the hardening layers (see
/// [`hardening`] for their order) with an `X-Request-Id` on every answer.
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
    let lifecycle = state.lifecycle.clone();
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
        // Innermost first: a request meets these in the reverse order.
        .wrap(RateLimit::new(limiter, trust_proxy_hops))
        .wrap(cors)
        .wrap(SecurityHeaders)
        .wrap(HttpMetrics::new(metrics))
        .wrap(AccessLog::new(slow_request))
        .wrap(RequestIdentity)
        .wrap(middleware::from_fn(move |req, next| {
            lifecycle::close_when_draining(lifecycle.clone(), req, next)
        }))
}
