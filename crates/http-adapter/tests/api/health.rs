use crate::helpers::{call, spawn, state};
use actix_web::{http::Method, test};
use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use trellis_http::{app, hardening::Hardening};
use trellis_memory::InMemoryStore;
use trellis_ports::{PoolStats, RepositoryError, StoreHealth};

#[actix_web::test]
async fn liveness_reports_uptime_as_a_number() {
    let app = spawn().await;
    let reply = app.send(Method::GET, "/health", None, None).await;
    let body = reply.ok(200);
    assert_eq!(body["status"], "ok");
    assert!(body["uptime"].as_f64().unwrap() >= 0.0, "{body}");
    assert!(reply.header("x-request-id").is_some());
}

#[actix_web::test]
async fn readiness_pings_the_store() {
    let app = spawn().await;
    let body = app
        .send(Method::GET, "/health/ready", None, None)
        .await
        .ok(200);
    assert_eq!(body, json!({"status": "ok", "database": "ok"}));
}

/// A store that never answers.
struct Unreachable;

#[async_trait]
impl StoreHealth for Unreachable {
    async fn ping(&self) -> Result<(), RepositoryError> {
        Err(RepositoryError::Unavailable("connection refused".into()))
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}

#[actix_web::test]
async fn readiness_fails_when_the_store_is_unreachable() {
    let state = state(Arc::new(InMemoryStore::new()), Arc::new(Unreachable));
    let service = test::init_service(app(state, Hardening::permissive())).await;
    let request = test::TestRequest::get().uri("/health/ready");
    let reply = call(&service, request).await;
    assert_eq!(
        reply.ok(503),
        json!({"status": "unavailable", "database": "unreachable"})
    );
    // Liveness does not ask the store.
    let reply = call(&service, test::TestRequest::get().uri("/health")).await;
    assert_eq!(reply.ok(200)["status"], "ok");
}

#[actix_web::test]
async fn probes_only_answer_get() {
    let app = spawn().await;
    for path in ["/health", "/health/ready"] {
        let reply = app.send(Method::POST, path, None, None).await;
        reply.error(405, "Method not allowed");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
}
