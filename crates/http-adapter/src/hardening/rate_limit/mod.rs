//! Per-client request limits on `/api`, as a middleware over a
//! [`RequestLimiter`].
//!
//! Which limits a request counts against is decided by its [`Route`], the
//! one the router matches on the decoded path: `POST /api/login`,
//! `POST /api/register` and `PATCH /api/me/password` (however spelled)
//! count against the stricter authentication limit too; every other request whose decoded path is
//! under `/api` against the general one. A request over a limit is answered
//! 429 without reaching its route; every limited answer carries the
//! `X-RateLimit-*` headers of the binding limit.

mod client_ip;

pub use client_ip::{bucket, client_ip};

use crate::{
    ApiError,
    client::ClientAddress,
    route::{Route, decoded_path},
};
use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderMap, HeaderName, HeaderValue},
    },
    middleware::Next,
};
use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};
use trellis_ports::{RequestKind, RequestLimiter, Verdict};

/// `X-RateLimit-Limit`: requests allowed per window.
pub const LIMIT_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// `X-RateLimit-Remaining`: requests left in this window.
pub const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
/// `X-RateLimit-Reset`: when the window ends, in seconds since the Unix epoch.
pub const RESET_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The requests that cost a password hash: the stricter limit applies.
const AUTHENTICATION_ROUTES: [(Method, &str); 3] = [
    (Method::POST, "/api/login"),
    (Method::POST, "/api/register"),
    (Method::PATCH, "/api/me/password"),
];

/// The limits a request counts against, by its method, route and decoded
/// path; `None` outside `/api`.
fn kind_of(method: &Method, route: &Route, path: &str) -> Option<RequestKind> {
    let authenticates = route.template().is_some_and(|template| {
        AUTHENTICATION_ROUTES
            .iter()
            .any(|(costly, route)| costly == method && *route == template)
    });
    if authenticates {
        Some(RequestKind::Authentication)
    } else if is_api(path) {
        Some(RequestKind::Api)
    } else {
        None
    }
}

/// Whether `path` is under `/api` once every escape is decoded (the
/// router keeps `%2F` escaped and so matches no route for `/api%2Fme`, but
/// such a request is still an API request to count).
fn is_api(path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    decoded
        .strip_prefix("/api")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn stamp(verdict: &Verdict, headers: &mut HeaderMap) {
    let reset = epoch_secs() + verdict.retry_after_secs();
    for (name, value) in [
        (LIMIT_HEADER, u64::from(verdict.limit)),
        (REMAINING_HEADER, verdict.remaining()),
        (RESET_HEADER, reset),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// The limits the middleware applies to the requests under `/api`.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<dyn RequestLimiter>,
    trust_proxy_hops: u32,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("trust_proxy_hops", &self.trust_proxy_hops)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// Applies `limiter` (share one between all workers) to clients told
    /// apart by address, believing `trust_proxy_hops` proxies'
    /// `X-Forwarded-For` entries.
    pub fn new(limiter: Arc<dyn RequestLimiter>, trust_proxy_hops: u32) -> Self {
        Self {
            limiter,
            trust_proxy_hops,
        }
    }
}

/// The middleware: counts `req` and refuses it with 429 when over a limit;
/// every limited answer carries the binding limit's headers.
pub(crate) async fn limit(
    limits: RateLimit,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(kind) = kind_of(req.method(), &Route::of(&req), decoded_path(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let address = client_ip(
        req.peer_addr().map(|peer| peer.ip()),
        req.headers(),
        limits.trust_proxy_hops,
    );
    if let Some(address) = address {
        req.extensions_mut().insert(ClientAddress(address));
    }
    let client = bucket(address);
    let Some(verdict) = limits.limiter.admit(&client, kind).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if verdict.exceeded() {
        let error = ApiError::TooManyRequests {
            retry_after_secs: verdict.retry_after_secs(),
        };
        let mut response: HttpResponse = HttpResponse::from_error(error);
        stamp(&verdict, response.headers_mut());
        return Ok(req.into_response(response).map_into_right_body());
    }
    match next.call(req).await {
        Ok(mut response) => {
            stamp(&verdict, response.headers_mut());
            Ok(response.map_into_left_body())
        }
        Err(mut error) => {
            error.add_response_mapper(move |mut response| {
                stamp(&verdict, response.headers_mut());
                response
            });
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_are_limited() {
        assert!(is_api("/api") && is_api("/api/projects") && is_api("/api%2Fme"));
        assert!(!is_api("/apix") && !is_api("/health") && !is_api("/"));
    }
}
