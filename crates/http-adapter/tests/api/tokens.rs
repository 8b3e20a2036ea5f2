//! Every way a bearer token can be wrong.

use crate::helpers::{SECRET, spawn};
use actix_web::{http::Method, test::TestRequest};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use trellis_domain::UserId;

fn sign(claims: &Value, algorithm: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims(id: UserId, exp: i64) -> Value {
    json!({"sub": id.to_string(), "id": id, "email": "a@b.co", "role": "user",
           "iat": exp - 60, "exp": exp})
}

#[actix_web::test]
async fn missing_or_foreign_schemes_need_authentication() {
    let app = spawn().await;
    app.send(Method::GET, "/api/me", None, None)
        .await
        .error(401, "Authentication required");
    for value in ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", "Bearer   "] {
        let request = TestRequest::get()
            .uri("/api/projects")
            .insert_header(("authorization", value));
        app.call(request)
            .await
            .error(401, "Authentication required");
    }
}

#[actix_web::test]
async fn expired_tokens_say_so() {
    let app = spawn().await;
    let account = app.sign_up("exp@example.com").await;
    let past = OffsetDateTime::now_utc().unix_timestamp() - 1;
    let token = sign(&claims(account.id, past), Algorithm::HS256, SECRET);
    app.get("/api/me", &token).await.error(401, "Token expired");
}

#[actix_web::test]
async fn forged_malformed_and_foreign_tokens_are_invalid() {
    let app = spawn().await;
    let account = app.sign_up("forged@example.com").await;
    let exp = OffsetDateTime::now_utc().unix_timestamp() + 600;
    let good = claims(account.id, exp);
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let payload = account.token.split('.').nth(1).unwrap();
    let signature = account.token.split('.').nth(2).unwrap();
    for token in [
        sign(&good, Algorithm::HS256, b"another-secret-another-secret-!!"),
        sign(&good, Algorithm::HS512, SECRET),
        sign(&good, Algorithm::HS384, SECRET),
        sign(&no_exp, Algorithm::HS256, SECRET),
        // alg: none, with and without the original signature.
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."),
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.{signature}"),
        // A tampered payload under the original signature.
        format!(
            "{}.{}.{signature}",
            account.token.split('.').next().unwrap(),
            sign(&claims(UserId::generate(), exp), Algorithm::HS256, SECRET)
                .split('.')
                .nth(1)
                .unwrap()
        ),
        "garbage".to_owned(),
        "a.b.c".to_owned(),
    ] {
        app.get("/api/me", &token).await.error(401, "Invalid token");
    }
    // The genuine token still works.
    app.get("/api/me", &account.token).await.ok(200);
}

#[actix_web::test]
async fn a_deleted_users_token_finds_no_user() {
    use trellis_ports::UserRepository;
    let app = spawn().await;
    let account = app.sign_up("gone@example.com").await;
    assert!(app.store.delete(account.id).await.unwrap());
    app.get("/api/me", &account.token)
        .await
        .error(404, "User not found");
    // Their token still lists (nothing), and creating is refused.
    let list = app.get("/api/projects", &account.token).await.ok(200);
    assert_eq!(list["total"], 0);
    app.send(
        Method::POST,
        "/api/projects",
        Some(&account.token),
        Some(serde_json::json!({"name": "orphan"})),
    )
    .await
    .error(400, "Referenced resource not found");
}
