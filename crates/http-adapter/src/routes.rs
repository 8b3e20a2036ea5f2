//! The routes, one module per resource. Each path is a `web::resource`
//! whose default service answers 405 with the methods it does have.

pub(crate) mod accounts;
pub(crate) mod attachments;
pub(crate) mod docs;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod projects;
pub(crate) mod sessions;
pub(crate) mod users;

use crate::ApiError;
use actix_web::{HttpResponse, Route, guard, web};

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    accounts::configure(cfg);
    projects::configure(cfg);
    attachments::configure(cfg);
    sessions::configure(cfg);
    events::configure(cfg);
    users::configure(cfg);
    docs::configure(cfg);
}

/// A route for `GET`, which answers `HEAD` too: the same status and
/// headers (`Content-Length` included), no body (RFC 9110 §9.3.2; the
/// HTTP layer leaves a HEAD answer's body out).
pub(crate) fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// 405 `Method not allowed`, with `Allow: <allow>`.
pub(crate) fn method_not_allowed(allow: &'static str) -> Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) })
}

/// 404 `Endpoint not found`, for paths no route knows.
pub fn endpoint_not_found() -> Route {
    web::to(|| async { Err::<HttpResponse, _>(ApiError::EndpointNotFound) })
}
