use crate::helpers::spawn;
use actix_web::{http::Method, test::TestRequest};
use uuid::Uuid;

#[actix_web::test]
async fn unknown_paths_are_json_404s() {
    let app = spawn().await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/api"),
        (Method::POST, "/api/nothing"),
        (Method::GET, "/api/projects/"),
        (Method::DELETE, "/api/projects/a/b"),
    ] {
        app.send(method, path, None, None)
            .await
            .error(404, "Endpoint not found");
    }
}

#[actix_web::test]
async fn wrong_methods_are_405_with_allow() {
    let app = spawn().await;
    let id = Uuid::new_v4();
    let project = format!("/api/projects/{id}");
    let user = format!("/api/users/{id}");
    for (method, path, allow) in [
        (Method::GET, "/api/register", "POST"),
        (Method::PUT, "/api/login", "POST"),
        (Method::DELETE, "/api/me", "GET, HEAD, PATCH"),
        (Method::DELETE, "/api/projects", "GET, HEAD, POST"),
        (
            Method::POST,
            project.as_str(),
            "GET, HEAD, PUT, PATCH, DELETE",
        ),
        (Method::POST, "/api/users", "GET, HEAD"),
        (Method::DELETE, user.as_str(), "GET, HEAD, PATCH"),
    ] {
        let reply = app.send(method.clone(), path, None, None).await;
        reply.error(405, "Method not allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
}

#[actix_web::test]
async fn request_ids_are_echoed_when_sane_and_made_otherwise() {
    let app = spawn().await;
    let request = TestRequest::get()
        .uri("/nowhere")
        .insert_header(("x-request-id", "trace-42"));
    let reply = app.call(request).await;
    assert_eq!(reply.header("x-request-id"), Some("trace-42"));
    assert_eq!(
        reply.error(404, "Endpoint not found")["request_id"],
        "trace-42"
    );

    let request = TestRequest::get()
        .uri("/health")
        .insert_header(("x-request-id", "a".repeat(129)));
    let reply = app.call(request).await;
    assert!(Uuid::parse_str(reply.header("x-request-id").unwrap()).is_ok());
}

#[actix_web::test]
async fn the_whole_app_is_hardened_and_measured() {
    let app = spawn().await;
    let health = app.send(Method::GET, "/health", None, None).await;
    let missing = app.send(Method::GET, "/nowhere", None, None).await;
    for reply in [&health, &missing] {
        assert_eq!(
            reply.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("SAMEORIGIN"));
        assert!(reply.header("x-request-id").is_some());
        assert!(reply.header("server").is_none());
    }
    let metrics = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8(metrics.bytes.to_vec()).unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    app.send(Method::POST, "/metrics", None, None)
        .await
        .error(405, "Method not allowed");
}
