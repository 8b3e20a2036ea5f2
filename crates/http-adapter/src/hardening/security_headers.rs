//! helmet's default response headers, on every answer.
//!
//! The API serves JSON only, so its Content-Security-Policy forbids
//! everything. The Swagger UI under `/docs` is an HTML page with its own
//! scripts, stylesheets and icons (all served from this origin, none from a
//! CDN) and fetches the OpenAPI document, so it gets a policy that allows
//! exactly that.

use actix_web::{
    Error,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::header::{self, HeaderMap, HeaderName, HeaderValue},
};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use std::rc::Rc;

/// The policy of every JSON answer: load nothing, be framed by no one.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of the Swagger UI pages: its own scripts, styles (Swagger UI
/// sets inline `style` attributes), fonts and images (icons are `data:`
/// URIs), and `fetch` of the OpenAPI document from this origin.
pub const DOCS_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'";

/// Where the Swagger UI is served.
const DOCS_PATH: &str = "/docs";

/// The headers helmet sets by default, the CSP excepted (it depends on the path).
const HELMET: [(HeaderName, &str); 11] = [
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
    (HeaderName::from_static("origin-agent-cluster"), "?1"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_DNS_PREFETCH_CONTROL, "off"),
    (HeaderName::from_static("x-download-options"), "noopen"),
    (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
    (
        HeaderName::from_static("x-permitted-cross-domain-policies"),
        "none",
    ),
    (header::X_XSS_PROTECTION, "0"),
];

/// Headers that would name the stack; removed if anything set them.
const REVEALING: [HeaderName; 2] = [header::SERVER, HeaderName::from_static("x-powered-by")];

/// Middleware that sets the security headers on every response, error
/// answers and 404s included.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeaders;

impl<S, B> Transform<S, ServiceRequest> for SecurityHeaders
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SecurityHeadersMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SecurityHeadersMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The service [`SecurityHeaders`] wraps around the app.
#[derive(Debug)]
pub struct SecurityHeadersMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for SecurityHeadersMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let csp = if is_docs(req.path()) {
            DOCS_CSP
        } else {
            API_CSP
        };
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            match service.call(req).await {
                Ok(mut response) => {
                    stamp(response.headers_mut(), csp);
                    Ok(response)
                }
                Err(mut error) => {
                    error.add_response_mapper(move |mut response| {
                        stamp(response.headers_mut(), csp);
                        response
                    });
                    Err(error)
                }
            }
        })
    }
}

fn is_docs(path: &str) -> bool {
    path.strip_prefix(DOCS_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn stamp(headers: &mut HeaderMap, csp: &'static str) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    for (name, value) in HELMET {
        headers.insert(name, HeaderValue::from_static(value));
    }
    for name in REVEALING {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_docs_tree_is_docs() {
        assert!(is_docs("/docs"));
        assert!(is_docs("/docs/"));
        assert!(is_docs("/docs/swagger-ui.css"));
        assert!(!is_docs("/docsx"));
        assert!(!is_docs("/api/docs"));
        assert!(!is_docs("/"));
    }
}
