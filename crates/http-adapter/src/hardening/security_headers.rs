//! helmet's default response headers, on every answer, by actix's
//! `DefaultHeaders`.
//!
//! The API serves JSON only, so its Content-Security-Policy forbids
//! everything. The Swagger UI under `/docs` is an HTML page with its own
//! scripts, stylesheets and icons (all served from this origin, none from a
//! CDN) and fetches the OpenAPI document, so it gets a policy that allows
//! exactly that.

use actix_web::{
    http::header::{self, HeaderName},
    middleware::DefaultHeaders,
};

/// The policy of every JSON answer: load nothing, be framed by no one.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of the Swagger UI pages: its own scripts, styles (Swagger UI
/// sets inline `style` attributes), fonts and images (icons are `data:`
/// URIs), and `fetch` of the OpenAPI document from this origin.
pub const DOCS_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'";

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

/// helmet's set with the API's policy, on every answer that does not carry
/// its own: errors, 404s, 429s and CORS refusals included. (Nothing in the
/// app sets `Server` or `X-Powered-By`, and actix sets neither.)
pub fn security_headers() -> DefaultHeaders {
    HELMET.into_iter().fold(
        DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, API_CSP)),
        |headers, (name, value)| headers.add((name, value)),
    )
}

/// The Swagger UI's policy, for the `/docs` tree; the app-wide
/// [`security_headers`] then add the rest without overwriting it.
pub(crate) fn docs_policy() -> DefaultHeaders {
    DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
}
