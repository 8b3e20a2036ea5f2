//! The access line of the real app: its fields, what it never contains,
//! slow requests, and 5xx causes logged once.

use crate::{
    helpers::{PASSWORD, Setup, peer, spawn, spawn_with},
    logs::Capture,
};
use actix_web::test::TestRequest;
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn one_line_per_request_with_its_fields_and_no_secrets() {
    let app = spawn().await;
    let ada = app.sign_up("a@b.example").await;
    let (logs, _guard) = Capture::install();
    let login = TestRequest::post()
        .uri("/api/login?token=qs-secret-123&next=/")
        .peer_addr(peer(1))
        .insert_header(("authorization", "Bearer tok-secret-456"))
        .insert_header(("x-request-id", "log-1"))
        .set_json(json!({"email": "a@b.example", "password": PASSWORD}));
    assert_eq!(app.call(login).await.status, 200);
    let me = TestRequest::get()
        .uri("/%61pi/me?password=pw-in-query")
        .insert_header(("authorization", format!("Bearer {}", ada.token)))
        .insert_header(("x-request-id", "log-2"));
    assert_eq!(app.call(me).await.status, 200);

    let lines = logs.with_message("request");
    assert_eq!(lines.len(), 2, "{}", logs.text());
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["route"], "/api/login");
    assert_eq!(line["path"], "/api/login");
    assert_eq!(line["status"], 200);
    assert_eq!(line["request_id"], "log-1");
    assert!(line.get("user_id").is_none());
    let latency = line["latency_ms"].as_f64().unwrap();
    assert!((0.0..1000.0).contains(&latency), "{latency}");
    assert_eq!(line["span"]["name"], "request");
    assert_eq!(line["span"]["request_id"], "log-1");

    // A spelling of /api/me is logged as its route; the caller is named.
    let line = &lines[1];
    assert_eq!(line["route"], "/api/me");
    assert_eq!(line["user_id"], ada.id.to_string());
    assert_eq!(line["span"]["user_id"], ada.id.to_string());
    assert!(logs.with_message("slow request").is_empty());

    let text = logs.text();
    for secret in [
        "qs-secret-123",
        "tok-secret-456",
        "Bearer",
        PASSWORD,
        "a@b.example",
        "pw-in-query",
        &ada.token,
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[actix_web::test]
async fn unmatched_requests_log_their_path_and_no_user() {
    let app = spawn().await;
    let (logs, _guard) = Capture::install();
    let request = TestRequest::get().uri("/nowhere?password=pw-in-query");
    assert_eq!(app.call(request).await.status, 404);
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

#[actix_web::test]
async fn slow_requests_warn_and_failures_log_their_cause_once() {
    let app = spawn_with(Setup {
        slow_request: Duration::ZERO,
        broken_hasher: true,
        ..Setup::default()
    })
    .await;
    let (logs, _guard) = Capture::install();
    let health = TestRequest::get().uri("/health");
    assert_eq!(app.call(health).await.status, 200);
    let login = TestRequest::post()
        .uri("/api/login")
        .set_json(json!({"email": "a@b.example", "password": "secret-attempt"}));
    assert_eq!(app.call(login).await.status, 500);
    assert_eq!(logs.with_message("request").len(), 2);

    let slow = logs.with_message("slow request");
    assert_eq!(slow.len(), 2, "{}", logs.text());
    assert_eq!(slow[0]["level"], "WARN");
    assert_eq!(slow[0]["path"], "/health");
    assert_eq!(slow[0]["slow_request_ms"], 0);

    let failures = logs.with_message("request failed");
    assert_eq!(failures.len(), 1, "{}", logs.text());
    assert_eq!(failures[0]["level"], "ERROR");
    assert!(
        failures[0]["error"]
            .as_str()
            .unwrap()
            .contains("disk on fire"),
        "{}",
        failures[0]
    );
    assert!(!logs.text().contains("secret-attempt"));
}
