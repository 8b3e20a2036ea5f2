//! CORS: listed origins reflected with credentials, others refused in JSON.

use super::headers::assert_helmet;
use crate::helpers::{Setup, spawn_with};
use actix_web::{http::Method, test::TestRequest};
use serde_json::json;
use trellis_http::hardening::{CorsPolicy, security_headers::API_CSP};
use trellis_services::RateLimitPolicy;

const ALLOWED: &str = "https://app.example.com";

fn listed() -> Setup {
    Setup {
        origins: Some(vec![ALLOWED.to_owned()]),
        limits: Some(RateLimitPolicy::default()),
        ..Setup::default()
    }
}

#[actix_web::test]
async fn listed_origins_are_reflected_with_credentials() {
    let app = spawn_with(listed()).await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/projects/1")
        .insert_header(("origin", ALLOWED))
        .insert_header(("access-control-request-method", "PATCH"))
        .insert_header((
            "access-control-request-headers",
            "content-type, authorization, x-request-id, if-match",
        ));
    let reply = app.call(preflight).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("3600"));
    let methods = reply.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = reply
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "content-type",
        "authorization",
        "x-request-id",
        "if-match",
        "if-none-match",
        "idempotency-key",
    ] {
        assert!(headers.contains(name), "{headers}");
    }
    assert_helmet(&reply, API_CSP);
    assert!(
        reply.header("x-ratelimit-limit").is_none(),
        "preflights are not counted"
    );

    let simple = TestRequest::get()
        .uri("/health")
        .insert_header(("origin", ALLOWED));
    let reply = app.call(simple).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "x-request-id",
        "etag",
        "idempotent-replayed",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
    assert!(
        reply
            .header("vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")
    );
}

#[actix_web::test]
async fn other_origins_get_no_allow_header_and_json_refusals() {
    let app = spawn_with(listed()).await;
    // A simple request is served; the browser hides it for lack of the header.
    let simple = TestRequest::get()
        .uri("/health")
        .insert_header(("origin", "https://evil.example"));
    let reply = app.call(simple).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), None);

    // A preflight is refused, in JSON, with the request id.
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/projects/1")
        .insert_header(("origin", "https://evil.example"))
        .insert_header(("access-control-request-method", "DELETE"))
        .insert_header(("x-request-id", "preflight-1"));
    let reply = app.call(preflight).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_helmet(&reply, API_CSP);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        reply.json(),
        json!({"error": "Origin not allowed", "request_id": "preflight-1"})
    );

    // An allowed origin asking for a method or header outside the policy.
    for (method, headers, message) in [
        ("TRACE", "content-type", "Method not allowed by CORS policy"),
        (
            "GET",
            "x-secret-sauce",
            "Request headers not allowed by CORS policy",
        ),
    ] {
        let preflight = TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/api/projects/1")
            .insert_header(("origin", ALLOWED))
            .insert_header(("access-control-request-method", method))
            .insert_header(("access-control-request-headers", headers));
        let reply = app.call(preflight).await;
        assert_eq!(reply.status, 400);
        let body = reply.json();
        assert_eq!(body["error"], message);
        assert!(!body["request_id"].as_str().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn without_a_list_any_origin_without_credentials() {
    let app = spawn_with(Setup::default()).await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/login")
        .insert_header(("origin", "https://anyone.example"))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header(("access-control-request-headers", "content-type"));
    let reply = app.call(preflight).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    let simple = TestRequest::get()
        .uri("/health")
        .insert_header(("origin", "https://anyone.example"));
    let reply = app.call(simple).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
}

#[test]
fn malformed_origins_are_refused_at_start() {
    for bad in ["*", "app.example.com", "https://app.example.com/"] {
        assert!(CorsPolicy::new(Some(&[bad.to_owned()])).is_err(), "{bad}");
    }
    assert!(CorsPolicy::new(Some(&["http://localhost:5173".to_owned()])).is_ok());
}
