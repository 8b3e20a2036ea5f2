//! The HTTP face of Trellis, on actix-web.
//!
//! [`app`] builds the whole actix `App` over an [`AppState`] of services.
//! Handlers only translate: a body becomes a domain value ([`body`],
//! [`dto`]), the caller an [`Actor`](trellis_ports::Actor) ([`auth`]), a
//! service answers, and its errors become JSON in one place ([`error`]).

pub mod auth;
pub mod body;
pub mod dto;
pub mod error;
pub mod query;
pub mod request_id;
mod routes;
mod state;

pub use auth::{AdminUser, AuthUser, Claims, TokenError, TokenKeys};
pub use error::ApiError;
pub use request_id::{RequestId, RequestIdentity};
pub use state::AppState;

use actix_web::{
    App, Error,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    web,
};

/// The Trellis API: every route of the contract, 404 `Endpoint not found`
/// for any other path, and an `X-Request-Id` on every answer.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .configure(routes::configure)
        .default_service(routes::endpoint_not_found())
        // Hardening middleware (security headers, CORS, rate limits,
        // metrics, request logging) wraps here, between the routes and
        // `RequestIdentity`: each `.wrap` is outside the previous one, so
        // `RequestIdentity` stays last, outermost, and every answer —
        // including a 429 or a CORS refusal — carries the request id.
        .wrap(RequestIdentity)
}
