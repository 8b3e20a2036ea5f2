//! Cross-origin requests: which browsers' pages may call the API.
//!
//! With `ALLOWED_ORIGINS` set, those origins are reflected and may send
//! credentials; without it any origin may call, without credentials (the
//! answer says `*`, which browsers never combine with credentials).
//!
//! A simple request from an origin not on the list is served as usual, only
//! without `Access-Control-Allow-Origin`, so the browser hides the answer
//! from the page. A preflight that cannot be allowed is refused by
//! actix-cors with a plain-text 400; [`CorsPolicy`] renders that refusal as
//! the API's JSON error body instead.

use super::rate_limit::{LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER};
use crate::json::JsonAnswer;
use crate::{error::ErrorBody, request_id::RequestId};
use actix_cors::{Cors, CorsError};
use actix_web::{
    Error, HttpResponse,
    body::{BoxBody, EitherBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform},
    http::{
        Method, Uri,
        header::{self, HeaderName},
    },
};
use futures_util::future::LocalBoxFuture;
use std::{rc::Rc, sync::Arc};

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECS: usize = 3600;

/// An `ALLOWED_ORIGINS` entry that is not an origin (`scheme://host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an origin (scheme://host[:port]): {0:?}")]
pub struct InvalidOrigin(pub String);

/// The CORS middleware of the API: actix-cors configured per the contract,
/// with its refusals rendered as JSON. Validated once, cheap to clone into
/// every worker.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    /// `None`: any origin, without credentials.
    allowed_origins: Option<Arc<[String]>>,
}

impl CorsPolicy {
    /// `Some(origins)`: only those, reflected, with credentials.
    /// `None`: any origin, answered with `*`, without credentials.
    pub fn new(allowed_origins: Option<&[String]>) -> Result<Self, InvalidOrigin> {
        if let Some(origins) = allowed_origins {
            origins
                .iter()
                .try_for_each(|origin| validate(origin).map(drop))?;
        }
        Ok(Self {
            allowed_origins: allowed_origins.map(Arc::from),
        })
    }

    /// Any origin, answered with `*`, without credentials (what `new(None)`
    /// gives, without the `Result`).
    pub fn any_origin() -> Self {
        Self {
            allowed_origins: None,
        }
    }

    fn cors(&self) -> Cors {
        let cors = Cors::default()
            .allowed_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allowed_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                crate::request_id::HEADER,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                crate::idempotency::IDEMPOTENCY_KEY,
            ])
            .expose_headers(exposed_headers())
            .max_age(PREFLIGHT_MAX_AGE_SECS);
        match &self.allowed_origins {
            None => cors.allow_any_origin().send_wildcard(),
            Some(origins) => origins
                .iter()
                .fold(cors.supports_credentials(), |cors, origin| {
                    cors.allowed_origin(origin)
                }),
        }
    }
}

/// The response headers a page's script may read.
fn exposed_headers() -> [HeaderName; 7] {
    [
        crate::request_id::HEADER,
        header::ETAG,
        crate::idempotency::IDEMPOTENT_REPLAYED,
        LIMIT_HEADER,
        REMAINING_HEADER,
        RESET_HEADER,
        header::RETRY_AFTER,
    ]
}

/// An origin is a scheme and an authority, nothing else (no path, no `*`).
fn validate(origin: &str) -> Result<&str, InvalidOrigin> {
    let invalid = || InvalidOrigin(origin.to_owned());
    let uri: Uri = origin.parse().map_err(|_| invalid())?;
    let bare = uri.scheme().is_some()
        && uri.authority().is_some()
        && uri
            .path_and_query()
            .is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/")
        && !origin.ends_with('/');
    if bare { Ok(origin) } else { Err(invalid()) }
}

impl<S, B> Transform<S, ServiceRequest> for CorsPolicy
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CorsPolicyMiddleware<<Cors as Transform<S, ServiceRequest>>::Transform>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let cors = self.cors().new_transform(service);
        Box::pin(async move {
            Ok(CorsPolicyMiddleware {
                cors: Rc::new(cors.await?),
            })
        })
    }
}

/// The service [`CorsPolicy`] wraps around the app.
#[derive(Debug)]
pub struct CorsPolicyMiddleware<C> {
    cors: Rc<C>,
}

impl<C, B> Service<ServiceRequest> for CorsPolicyMiddleware<C>
where
    C: Service<ServiceRequest, Response = ServiceResponse<EitherBody<B>>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(cors);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let cors = Rc::clone(&self.cors);
        Box::pin(async move {
            let response = cors.call(req).await?;
            let refusal = response
                .response()
                .error()
                .and_then(|error| error.as_error::<CorsError>())
                .map(refusal_message);
            Ok(match refusal {
                Some(message) => {
                    let mut json = json_refusal(message);
                    if let Some(vary) = response.headers().get(header::VARY) {
                        json.headers_mut().insert(header::VARY, vary.clone());
                    }
                    response.into_response(json.map_into_right_body())
                }
                None => response,
            })
        })
    }
}

/// The client's line for each way a preflight can be refused.
fn refusal_message(error: &CorsError) -> &'static str {
    match error {
        CorsError::OriginNotAllowed => "Origin not allowed",
        CorsError::MethodNotAllowed => "Method not allowed by CORS policy",
        CorsError::HeadersNotAllowed => "Request headers not allowed by CORS policy",
        _ => "Invalid CORS preflight request",
    }
}

fn json_refusal(message: &'static str) -> HttpResponse<BoxBody> {
    let request_id = RequestId::current();
    HttpResponse::BadRequest().json_utf8(ErrorBody {
        error: message.to_owned(),
        request_id: request_id.as_ref().map_or("", RequestId::as_str),
        details: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_can_be_shared_with_every_worker() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<CorsPolicy>();
    }

    #[test]
    fn origins_are_scheme_and_authority_only() {
        for good in ["https://app.example.com", "http://localhost:5173"] {
            assert_eq!(validate(good), Ok(good));
        }
        for bad in [
            "*",
            "app.example.com",
            "https://app.example.com/path",
            "",
            "https://",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
