//! Security headers and CORS, alone and in the full stack.

#![allow(clippy::unwrap_used)] // test helpers, like the tests, may panic

#[macro_use]
mod support;

use actix_web::{App, HttpServer, http::StatusCode, test as actix_test, web};
use std::sync::Arc;
use support::header;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trellis_http::{
    RequestIdentity,
    hardening::{
        CorsPolicy, Metrics, RateLimitSettings, RateLimiter, SecurityHeaders,
        security_headers::{API_CSP, DOCS_CSP},
    },
};

const HELMET: [(&str, &str); 11] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("origin-agent-cluster", "?1"),
    ("referrer-policy", "no-referrer"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-dns-prefetch-control", "off"),
    ("x-download-options", "noopen"),
    ("x-frame-options", "SAMEORIGIN"),
    ("x-permitted-cross-domain-policies", "none"),
    ("x-xss-protection", "0"),
];

fn assert_helmet<B>(response: &actix_web::dev::ServiceResponse<B>, csp: &str) {
    for (name, value) in HELMET {
        assert_eq!(header(response, name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(
        header(response, "content-security-policy").as_deref(),
        Some(csp)
    );
    assert_eq!(header(response, "server"), None);
    assert_eq!(header(response, "x-powered-by"), None);
}

#[actix_web::test]
async fn every_answer_carries_the_helmet_set() {
    let app = actix_test::init_service(
        App::new()
            .configure(support::routes)
            .route(
                "/leaky",
                web::get().to(|| async {
                    actix_web::HttpResponse::Ok()
                        .insert_header(("x-powered-by", "Express"))
                        .insert_header(("server", "actix"))
                        .finish()
                }),
            )
            .default_service(web::to(support::not_found))
            .wrap(SecurityHeaders)
            .wrap(RequestIdentity),
    )
    .await;
    for (uri, status) in [
        ("/health", StatusCode::OK),
        ("/nowhere", StatusCode::NOT_FOUND),
        ("/api/boom", StatusCode::INTERNAL_SERVER_ERROR),
        ("/leaky", StatusCode::OK),
        ("/docsx", StatusCode::NOT_FOUND),
    ] {
        let response =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request())
                .await;
        assert_eq!(response.status(), status, "{uri}");
        assert_helmet(&response, API_CSP);
    }
    for uri in ["/docs", "/docs/swagger-ui.css"] {
        let response =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request())
                .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_helmet(&response, DOCS_CSP);
    }
}

#[test]
fn the_docs_policy_allows_only_this_origin() {
    for needed in [
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
    ] {
        assert!(DOCS_CSP.contains(needed), "{needed}");
    }
    assert!(!DOCS_CSP.contains("http"), "no remote source");
    assert!(!DOCS_CSP.contains("unsafe-eval"));
    assert!(!DOCS_CSP.contains("script-src 'self' 'unsafe-inline'"));
}

/// The real server (not the test service) adds no `Server` header either.
#[actix_web::test]
async fn the_real_server_names_no_stack() {
    let server = HttpServer::new(|| {
        App::new()
            .configure(support::routes)
            .default_service(web::to(support::not_found))
            .wrap(SecurityHeaders)
            .wrap(RequestIdentity)
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    handle.stop(true).await;
    let head = raw.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 404"), "{head}");
    assert!(head.contains("\r\nx-frame-options: sameorigin"), "{head}");
    assert!(!head.contains("\r\nserver:"), "{head}");
    assert!(!head.contains("\r\nx-powered-by:"), "{head}");
}

fn limiter() -> Arc<RateLimiter> {
    Arc::new(RateLimiter::memory(RateLimitSettings::default(), 1_000))
}

const ALLOWED: &str = "https://app.example.com";

#[actix_web::test]
async fn listed_origins_are_reflected_with_credentials() {
    let metrics = Arc::new(Metrics::new());
    let origins = vec![ALLOWED.to_owned()];
    let app = actix_test::init_service(hardened_app!(limiter(), metrics, Some(&origins))).await;

    let preflight = actix_test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/projects/1")
        .insert_header(("origin", ALLOWED))
        .insert_header(("access-control-request-method", "PATCH"))
        .insert_header((
            "access-control-request-headers",
            "content-type, authorization, x-request-id",
        ))
        .to_request();
    let response = actix_test::call_service(&app, preflight).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        header(&response, "access-control-max-age").as_deref(),
        Some("3600")
    );
    let methods = header(&response, "access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = header(&response, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["content-type", "authorization", "x-request-id"] {
        assert!(headers.contains(name), "{headers}");
    }
    assert_helmet(&response, API_CSP);
    assert!(
        header(&response, "x-ratelimit-limit").is_none(),
        "preflights are not counted"
    );

    let simple = actix_test::TestRequest::get()
        .uri("/api/projects/1")
        .insert_header(("origin", ALLOWED))
        .to_request();
    let response = actix_test::call_service(&app, simple).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let exposed = header(&response, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
    assert!(
        header(&response, "vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")
    );
}

#[actix_web::test]
async fn other_origins_get_no_allow_header_and_json_refusals() {
    let metrics = Arc::new(Metrics::new());
    let origins = vec![ALLOWED.to_owned()];
    let app = actix_test::init_service(hardened_app!(limiter(), metrics, Some(&origins))).await;

    // A simple request is served; the browser hides it for lack of the header.
    let simple = actix_test::TestRequest::get()
        .uri("/api/projects/1")
        .insert_header(("origin", "https://evil.example"))
        .to_request();
    let response = actix_test::call_service(&app, simple).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    // A preflight is refused, in JSON, with the request id.
    let preflight = actix_test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/projects/1")
        .insert_header(("origin", "https://evil.example"))
        .insert_header(("access-control-request-method", "DELETE"))
        .insert_header(("x-request-id", "preflight-1"))
        .to_request();
    let response = actix_test::call_service(&app, preflight).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_helmet(&response, API_CSP);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = support::json(response).await;
    assert_eq!(
        body,
        serde_json::json!({"error": "Origin not allowed", "request_id": "preflight-1"})
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
        let preflight = actix_test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/projects/1")
            .insert_header(("origin", ALLOWED))
            .insert_header(("access-control-request-method", method))
            .insert_header(("access-control-request-headers", headers))
            .to_request();
        let response = actix_test::call_service(&app, preflight).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = support::json(response).await;
        assert_eq!(body["error"], message);
        assert!(!body["request_id"].as_str().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn without_a_list_any_origin_without_credentials() {
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter(), metrics, None)).await;
    let preflight = actix_test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/login")
        .insert_header(("origin", "https://anyone.example"))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header(("access-control-request-headers", "content-type"))
        .to_request();
    let response = actix_test::call_service(&app, preflight).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);

    let simple = actix_test::TestRequest::get()
        .uri("/api/projects/1")
        .insert_header(("origin", "https://anyone.example"))
        .to_request();
    let response = actix_test::call_service(&app, simple).await;
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
}

#[test]
fn malformed_origins_are_refused_at_start() {
    for bad in ["*", "app.example.com", "https://app.example.com/"] {
        assert!(CorsPolicy::new(Some(&[bad.to_owned()])).is_err(), "{bad}");
    }
    assert!(CorsPolicy::new(Some(&["http://localhost:5173".to_owned()])).is_ok());
}

#[actix_web::test]
async fn errors_of_every_layer_are_json_with_the_request_id() {
    let metrics = Arc::new(Metrics::new());
    let strict = Arc::new(RateLimiter::memory(
        RateLimitSettings {
            max: 1,
            ..RateLimitSettings::default()
        },
        1_000,
    ));
    let app = actix_test::init_service(hardened_app!(strict, metrics, None)).await;
    for (uri, status, message) in [
        ("/nowhere", StatusCode::NOT_FOUND, "Endpoint not found"),
        (
            "/api/boom",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
        ),
        (
            "/api/projects/1",
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
        ),
    ] {
        let request = actix_test::TestRequest::get()
            .uri(uri)
            .peer_addr(support::peer(7))
            .insert_header(("x-request-id", "abc-123"))
            .to_request();
        let response = actix_test::call_service(&app, request).await;
        assert_eq!(response.status(), status, "{uri}");
        assert_eq!(
            header(&response, "x-request-id").as_deref(),
            Some("abc-123")
        );
        assert_helmet(&response, API_CSP);
        let body = support::json(response).await;
        assert_eq!(
            body,
            serde_json::json!({"error": message, "request_id": "abc-123"}),
            "{uri}"
        );
    }
}
