//! Sessions: refresh-token rotation with its grace and theft detection,
//! logouts that end the session's access tokens, the list, password
//! change, and the admin's end-all.

use crate::helpers::{Account, PASSWORD, Setup, spawn, spawn_with};
use actix_web::http::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Lets the revocation list hear of what just ended (in-process feed).
async fn settle() {
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
}

#[actix_web::test]
async fn a_login_is_a_session_with_a_refresh_token() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    assert_eq!(ada.refresh_token.len(), 43, "256 bits, base64url");
    let login = app
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await
        .ok(200);
    assert_eq!(login["expires_in"], 3600);
    assert_ne!(login["refresh_token"], ada.refresh_token.as_str());
    let claims = app.keys.verify(login["token"].as_str().unwrap()).unwrap();
    assert!(claims.sid.is_some(), "the access token names its session");
    assert_eq!(
        app.get("/api/me", &ada.token).await.ok(200)["user"]["email"],
        "ada@example.com"
    );
}

async fn refresh<S, B>(app: &crate::helpers::TestApp<S>, token: &str) -> crate::helpers::Reply
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    app.send(
        Method::POST,
        "/api/token/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

#[actix_web::test]
async fn refresh_rotates_replays_within_the_grace_and_ends_a_stolen_session() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let first = refresh(&app, &ada.refresh_token).await.ok(200);
    let next = first["refresh_token"].as_str().unwrap();
    assert_ne!(next, ada.refresh_token);
    assert!(first["token"].is_string() && first["expires_in"] == 3600);
    // Two tabs: the spent token again, within the grace, answers the same pair.
    let again = refresh(&app, &ada.refresh_token).await.ok(200);
    assert_eq!(again["refresh_token"], first["refresh_token"]);
    assert_eq!(again["token"], first["token"]);
    let third = refresh(&app, next).await.ok(200);
    assert_eq!(
        app.get("/api/me", third["token"].as_str().unwrap())
            .await
            .status,
        200
    );

    for bad in ["unknown-token", &"x".repeat(43)] {
        refresh(&app, bad).await.error(401, "Invalid refresh token");
    }
    app.send(Method::POST, "/api/token/refresh", None, Some(json!({})))
        .await
        .invalid(&["refresh_token: is required"]);
    app.send(
        Method::POST,
        "/api/token/refresh",
        None,
        Some(json!({"refresh_token": 5})),
    )
    .await
    .invalid(&["refresh_token: must be a string"]);
}

#[actix_web::test]
async fn a_spent_token_after_the_grace_ends_the_whole_session() {
    let app = spawn_with(Setup {
        refresh_grace: Duration::ZERO,
        ..Setup::default()
    })
    .await;
    let ada = app.sign_up("ada@example.com").await;
    let rotated = refresh(&app, &ada.refresh_token).await.ok(200);
    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    // The thief (or the victim) presents the spent token: the session ends.
    refresh(&app, &ada.refresh_token)
        .await
        .error(401, "Invalid refresh token");
    refresh(&app, rotated["refresh_token"].as_str().unwrap())
        .await
        .error(401, "Invalid refresh token");
    settle().await;
    app.get("/api/me", rotated["token"].as_str().unwrap())
        .await
        .error(401, "Token revoked");
    app.get("/api/me", &ada.token)
        .await
        .error(401, "Token revoked");
}

#[actix_web::test]
async fn logout_ends_this_session_and_logout_all_every_one() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let other = app.log_in("ada@example.com").await;
    let reply = app
        .send(Method::POST, "/api/logout", Some(&ada.token), None)
        .await;
    assert_eq!(reply.status, 204);
    settle().await;
    app.get("/api/me", &ada.token)
        .await
        .error(401, "Token revoked");
    refresh(&app, &ada.refresh_token)
        .await
        .error(401, "Invalid refresh token");
    assert_eq!(
        app.get("/api/me", &other.token).await.status,
        200,
        "another session lives"
    );

    let third = app.log_in("ada@example.com").await;
    let reply = app
        .send(Method::POST, "/api/logout/all", Some(&third.token), None)
        .await;
    assert_eq!(reply.status, 204);
    settle().await;
    for token in [&other.token, &third.token] {
        app.get("/api/me", token).await.error(401, "Token revoked");
    }
    app.send(Method::POST, "/api/logout", None, None)
        .await
        .error(401, "Authentication required");
}

#[actix_web::test]
async fn sessions_are_listed_with_the_current_one_and_ended_one_by_one() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let other = app.log_in("ada@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let listed = app.get("/api/sessions", &ada.token).await.ok(200);
    let data = listed["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["current"], false, "newest first: the second login");
    assert_eq!(data[1]["current"], true);
    for field in [
        "id",
        "created_at",
        "last_used_at",
        "user_agent",
        "ip",
        "current",
    ] {
        assert!(data[0].get(field).is_some(), "{field}");
    }
    let other_id = data[0]["id"].as_str().unwrap();
    let bobs = app.get("/api/sessions", &bob.token).await.ok(200)["data"][0]["id"].clone();
    app.send(
        Method::DELETE,
        &format!("/api/sessions/{}", bobs.as_str().unwrap()),
        Some(&ada.token),
        None,
    )
    .await
    .error(404, "Session not found");
    app.send(
        Method::DELETE,
        "/api/sessions/not-a-uuid",
        Some(&ada.token),
        None,
    )
    .await
    .error(404, "Session not found");
    let reply = app
        .send(
            Method::DELETE,
            &format!("/api/sessions/{other_id}"),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    settle().await;
    app.get("/api/me", &other.token)
        .await
        .error(401, "Token revoked");
    assert_eq!(
        app.get("/api/sessions", &ada.token).await.ok(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.get("/api/me", &bob.token).await.status, 200);
}

#[actix_web::test]
async fn a_password_change_ends_every_session_and_answers_a_new_one() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let other = app.log_in("ada@example.com").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    app.send(
        Method::PATCH,
        "/api/me/password",
        Some(&ada.token),
        Some(change("wrong password", "a new password")),
    )
    .await
    .invalid(&["current_password: does not match"]);
    app.send(
        Method::PATCH,
        "/api/me/password",
        Some(&ada.token),
        Some(change(PASSWORD, PASSWORD)),
    )
    .await
    .invalid(&["new_password: must differ from the current password"]);
    app.send(
        Method::PATCH,
        "/api/me/password",
        Some(&ada.token),
        Some(json!({"new_password": "short"})),
    )
    .await
    .invalid(&[
        "current_password: is required",
        "new_password: must be at least 8 characters",
    ]);
    let pair = app
        .send(
            Method::PATCH,
            "/api/me/password",
            Some(&ada.token),
            Some(change(PASSWORD, "a brand new password")),
        )
        .await
        .ok(200);
    settle().await;
    for token in [&ada.token, &other.token] {
        app.get("/api/me", token).await.error(401, "Token revoked");
    }
    assert_eq!(
        app.get("/api/me", pair["token"].as_str().unwrap())
            .await
            .status,
        200
    );
    let old = app
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await;
    old.error(401, "Invalid credentials");
    let new = app
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"email": "ada@example.com", "password": "a brand new password"})),
        )
        .await;
    assert_eq!(new.status, 200);
}

#[actix_web::test]
async fn an_admin_ends_every_session_of_an_account() {
    let app = spawn().await;
    let admin = app.sign_up_admin("root@example.com").await;
    let ada = app.sign_up("ada@example.com").await;
    let path = format!("/api/users/{}/sessions", ada.id);
    app.send(Method::DELETE, &path, Some(&ada.token), None)
        .await
        .error(403, "Insufficient permissions");
    let reply = app
        .send(Method::DELETE, &path, Some(&admin.token), None)
        .await;
    assert_eq!(reply.status, 204);
    settle().await;
    app.get("/api/me", &ada.token)
        .await
        .error(401, "Token revoked");
    let missing = format!("/api/users/{}/sessions", uuid::Uuid::new_v4());
    app.send(Method::DELETE, &missing, Some(&admin.token), None)
        .await
        .error(404, "User not found");
}

#[actix_web::test]
async fn a_token_from_before_sessions_is_judged_by_signature_and_expiry() {
    let app = spawn().await;
    let ada: Account = app.sign_up("ada@example.com").await;
    let claims = app.keys.verify(&ada.token).unwrap();
    let legacy: Value = json!({
        "sub": claims.sub, "id": claims.id, "email": claims.email, "role": claims.role,
        "iat": claims.iat, "exp": claims.exp,
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &legacy,
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::SECRET),
    )
    .unwrap();
    assert_eq!(app.get("/api/me", &token).await.status, 200);
    assert_eq!(
        app.send(Method::POST, "/api/logout", Some(&token), None)
            .await
            .status,
        204
    );
}
