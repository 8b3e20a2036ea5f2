//! Security headers on every answer, and no header that names the stack.

use crate::helpers::{Reply, Setup, peer, spawn_with};
use actix_web::{HttpServer, http::Method, test::TestRequest};
use serde_json::json;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trellis_http::hardening::{
    Hardening,
    security_headers::{API_CSP, DOCS_CSP},
};
use trellis_memory::InMemoryStore;
use trellis_services::RateLimitPolicy;

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

pub fn assert_helmet(reply: &Reply, csp: &str) {
    for (name, value) in HELMET {
        assert_eq!(reply.header(name), Some(value), "{name}");
    }
    assert_eq!(reply.header("content-security-policy"), Some(csp));
    assert_eq!(reply.header("server"), None);
    assert_eq!(reply.header("x-powered-by"), None);
}

fn strict() -> Setup {
    Setup {
        limits: Some(RateLimitPolicy {
            max: 1,
            ..RateLimitPolicy::default()
        }),
        broken_hasher: true,
        ..Setup::default()
    }
}

#[actix_web::test]
async fn every_answer_carries_the_helmet_set_and_errors_are_json_with_the_request_id() {
    let app = spawn_with(strict()).await;
    let health = app.call(TestRequest::get().uri("/health")).await;
    assert_eq!(health.status, 200);
    assert_helmet(&health, API_CSP);
    for (method, uri, status, message) in [
        (Method::GET, "/nowhere", 404, "Endpoint not found"),
        (Method::DELETE, "/api/login", 405, "Method not allowed"),
        (Method::POST, "/api/login", 500, "Internal server error"),
        (Method::GET, "/api/me", 429, "Too many requests"),
    ] {
        let mut request = TestRequest::default()
            .method(method)
            .uri(uri)
            .peer_addr(peer(7))
            .insert_header(("x-request-id", "abc-123"));
        if status == 500 {
            request = request
                .set_json(json!({"email": "ada@example.com", "password": "whatever1"}))
                .peer_addr(peer(8));
        }
        let reply = app.call(request).await;
        assert_eq!(reply.status, status, "{uri}: {:?}", reply.bytes);
        assert_eq!(reply.header("x-request-id"), Some("abc-123"));
        assert_helmet(&reply, API_CSP);
        let body = reply.json();
        assert_eq!(
            body,
            json!({"error": message, "request_id": "abc-123"}),
            "{uri}"
        );
    }
    for uri in ["/docs/", "/docs/swagger-ui.css"] {
        let reply = app.call(TestRequest::get().uri(uri)).await;
        assert_eq!(reply.status, 200, "{uri}");
        assert_helmet(&reply, DOCS_CSP);
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
    let store = Arc::new(InMemoryStore::new());
    let state = crate::helpers::state(store.clone(), store);
    let hardening = Hardening::permissive();
    let server = HttpServer::new(move || trellis_http::app(state.clone(), hardening.clone()))
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
