//! How bodies are read: size, content type, syntax.

use crate::helpers::{BODY_LIMIT, spawn};
use actix_web::{http::Method, test::TestRequest};

const JSON: &str = "application/json";

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let big = format!(
        r#"{{"name":"n","description":"{}"}}"#,
        "x".repeat(BODY_LIMIT)
    );
    app.raw(Method::POST, "/api/projects", Some(&ada.token), JSON, big)
        .await
        .error(413, "Payload too large");
    // Exactly at the limit is fine (and then fails validation on its own terms).
    let padding = BODY_LIMIT - r#"{"name":"n","x":""}"#.len();
    let exact = format!(r#"{{"name":"n","x":"{}"}}"#, "x".repeat(padding));
    assert_eq!(exact.len(), BODY_LIMIT);
    let reply = app
        .raw(Method::POST, "/api/projects", Some(&ada.token), JSON, exact)
        .await;
    reply.ok(201);
}

#[actix_web::test]
async fn other_content_types_are_415() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        app.raw(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            content_type,
            "name=x",
        )
        .await
        .error(415, "Unsupported content type");
    }
    let no_type = TestRequest::post()
        .uri("/api/register")
        .set_payload(r#"{"email":"a@b.co"}"#);
    app.call(no_type)
        .await
        .error(415, "Unsupported content type");
}

#[actix_web::test]
async fn json_with_a_charset_or_a_json_suffix_is_json() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for content_type in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        app.raw(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            content_type,
            r#"{"name":"n"}"#,
        )
        .await
        .ok(201);
    }
}

#[actix_web::test]
async fn malformed_json_is_400_invalid_json() {
    let app = spawn().await;
    for body in [
        "{",
        r#"{"email": }"#,
        "nonsense",
        r#"{"a":1} trailing"#,
        "\u{feff}{}",
    ] {
        app.raw(Method::POST, "/api/register", None, JSON, body)
            .await
            .error(400, "Invalid JSON");
    }
    for body in ["[]", "42", "null", r#""text""#] {
        app.raw(Method::POST, "/api/register", None, JSON, body)
            .await
            .invalid(&["body: must be a JSON object"]);
    }
}

#[actix_web::test]
async fn an_empty_body_is_an_empty_object() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let empty = TestRequest::patch()
        .uri("/api/me")
        .insert_header(("authorization", format!("Bearer {}", ada.token)));
    app.call(empty)
        .await
        .invalid(&["body: must contain at least one of: full_name, email"]);
    app.raw(Method::POST, "/api/login", None, JSON, "")
        .await
        .invalid(&["email: is required", "password: is required"]);
}

#[actix_web::test]
async fn authentication_is_checked_before_the_body() {
    let app = spawn().await;
    app.raw(Method::POST, "/api/projects", None, "text/plain", "x")
        .await
        .error(401, "Authentication required");
}

/// Found by the fuzzer: PostgreSQL cannot store NUL in `text`, so a name
/// with one was a 500 there. Every text field refuses it, JSON and form.
#[actix_web::test]
async fn text_with_nul_is_a_validation_error() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let body = r#"{"name":" \u0000 ","description":"a\u0000b"}"#;
    app.raw(Method::POST, "/api/projects", Some(&ada.token), JSON, body)
        .await
        .invalid(&[
            "name: must not contain NUL characters",
            "description: must not contain NUL characters",
        ]);
    let form = "email=b%40c.io&password=12345678&full_name=B%00";
    app.raw(
        Method::POST,
        "/api/register",
        None,
        "application/x-www-form-urlencoded",
        form,
    )
    .await
    .invalid(&["full_name: must not contain NUL characters"]);
}
