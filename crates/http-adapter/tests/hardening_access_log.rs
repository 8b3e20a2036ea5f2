//! The access line: its fields, what it never contains, slow requests and
//! 5xx causes, captured from a JSON subscriber.

#![allow(clippy::unwrap_used)] // test helpers, like the tests, may panic

#[macro_use]
mod support;

use actix_web::{App, HttpResponse, http::StatusCode, test as actix_test, web};
use std::{sync::Arc, time::Duration};
use support::{Capture, peer};
use trellis_http::{
    RequestIdentity,
    hardening::{AccessLog, Metrics, RateLimitSettings, RateLimiter},
};

#[actix_web::test]
async fn one_line_per_request_with_its_fields_and_no_secrets() {
    let (logs, _guard) = Capture::install();
    let limiter = Arc::new(RateLimiter::memory(RateLimitSettings::default(), 100));
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let request = actix_test::TestRequest::post()
        .uri("/api/login?token=qs-secret-123&next=/")
        .peer_addr(peer(1))
        .insert_header(("authorization", "Bearer tok-secret-456"))
        .insert_header(("x-request-id", "log-1"))
        .set_json(serde_json::json!({"email": "a@b.example", "password": "hunter2-secret"}))
        .to_request();
    let response = actix_test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let _ = actix_test::read_body(response).await;

    let lines = logs.with_message("request");
    assert_eq!(lines.len(), 1, "{}", logs.text());
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["route"], "/api/login");
    assert_eq!(line["path"], "/api/login");
    assert_eq!(line["status"], 200);
    assert_eq!(line["request_id"], "log-1");
    assert_eq!(line["user_id"], "user-42");
    let latency = line["latency_ms"].as_f64().unwrap();
    assert!((0.0..1000.0).contains(&latency), "{latency}");
    // The request's span carries the id and, once recorded, the user.
    assert_eq!(line["span"]["name"], "request");
    assert_eq!(line["span"]["request_id"], "log-1");
    assert_eq!(line["span"]["user_id"], "user-42");
    assert!(logs.with_message("slow request").is_empty());

    let text = logs.text();
    for secret in [
        "qs-secret-123",
        "tok-secret-456",
        "Bearer",
        "hunter2-secret",
        "a@b.example",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[actix_web::test]
async fn unmatched_requests_log_their_path_and_no_user() {
    let (logs, _guard) = Capture::install();
    let limiter = Arc::new(RateLimiter::memory(RateLimitSettings::default(), 100));
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let request = actix_test::TestRequest::get()
        .uri("/nowhere?password=pw-in-query")
        .to_request();
    assert_eq!(actix_test::call_service(&app, request).await.status(), 404);
    let lines = logs.with_message("request");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["route"], "unmatched");
    assert_eq!(lines[0]["path"], "/nowhere");
    assert_eq!(lines[0]["status"], 404);
    assert!(lines[0].get("user_id").is_none());
    assert!(!logs.text().contains("pw-in-query"));
    assert!(
        logs.with_message("request failed").is_empty(),
        "a 404 is not a failure"
    );
}

async fn slow() -> HttpResponse {
    tokio::time::sleep(Duration::from_millis(30)).await;
    HttpResponse::NoContent().finish()
}

async fn foreign_failure() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorInternalServerError("kaboom"))
}

#[actix_web::test]
async fn slow_requests_warn_and_failures_log_their_cause_once() {
    let (logs, _guard) = Capture::install();
    let app = actix_test::init_service(
        App::new()
            .configure(support::routes)
            .route("/slow", web::get().to(slow))
            .route("/foreign", web::get().to(foreign_failure))
            .wrap(AccessLog::new(Duration::from_millis(10)))
            .wrap(RequestIdentity),
    )
    .await;
    for (uri, status) in [
        ("/slow", 204),
        ("/health", 200),
        ("/api/boom", 500),
        ("/foreign", 500),
    ] {
        let request = actix_test::TestRequest::get().uri(uri).to_request();
        assert_eq!(
            actix_test::call_service(&app, request)
                .await
                .status()
                .as_u16(),
            status
        );
    }
    assert_eq!(logs.with_message("request").len(), 4);

    let slow = logs.with_message("slow request");
    assert_eq!(slow.len(), 1, "{}", logs.text());
    assert_eq!(slow[0]["level"], "WARN");
    assert_eq!(slow[0]["path"], "/slow");
    assert_eq!(slow[0]["slow_request_ms"], 10);
    assert!(slow[0]["latency_ms"].as_f64().unwrap() >= 30.0);

    // ApiError logs its own cause; the access log adds none for it, and
    // logs the cause of any other 5xx exactly once.
    let failures = logs.with_message("request failed");
    assert_eq!(failures.len(), 2, "{}", logs.text());
    assert!(failures.iter().all(|line| line["level"] == "ERROR"));
    let causes: Vec<_> = failures
        .iter()
        .map(|line| line["error"].as_str().unwrap())
        .collect();
    assert!(
        causes.contains(&"disk on fire") && causes.contains(&"kaboom"),
        "{causes:?}"
    );
}
