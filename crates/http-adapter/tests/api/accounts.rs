use crate::helpers::{PASSWORD, spawn};
use actix_web::http::Method;
use serde_json::json;

#[actix_web::test]
async fn register_answers_user_and_token_and_ignores_role() {
    let app = spawn().await;
    let reply = app
        .register(json!({"email": " Ada@Example.COM ", "password": PASSWORD,
                         "full_name": "  Ada Lovelace ", "role": "admin", "extra": [1]}))
        .await;
    let body = reply.ok(201);
    let user = &body["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["full_name"], "Ada Lovelace");
    assert_eq!(user["role"], "user");
    let mut keys: Vec<_> = user.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "email",
            "full_name",
            "id",
            "role",
            "updated_at"
        ]
    );
    let created = user["created_at"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2026-11-23T10:00:00.123456Z".len(),
        "{created}"
    );
    assert!(created.ends_with('Z'));
    assert!(!reply.json().to_string().contains(PASSWORD));
    let claims = app.keys.verify(body["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.sub, user["id"].as_str().unwrap());
}

#[actix_web::test]
async fn register_reports_every_failing_field() {
    let app = spawn().await;
    app.register(json!({"email": "nope", "password": "short", "full_name": ""}))
        .await
        .invalid(&[
            "email: must be a valid email address",
            "password: must be at least 8 characters",
            "full_name: must not be empty",
        ]);
    app.register(json!({})).await.invalid(&[
        "email: is required",
        "password: is required",
        "full_name: is required",
    ]);
    app.register(json!({"email": 1, "password": ["x"], "full_name": null}))
        .await
        .invalid(&[
            "email: must be a string",
            "password: must be a string",
            "full_name: is required",
        ]);
}

#[actix_web::test]
async fn an_email_registers_once_in_any_case() {
    let app = spawn().await;
    app.sign_up("grace@navy.mil").await;
    app.register(json!({"email": "GRACE@navy.mil", "password": PASSWORD, "full_name": "G"}))
        .await
        .error(409, "Email already registered");
}

#[actix_web::test]
async fn login_answers_user_and_token_or_one_vague_401() {
    let app = spawn().await;
    let account = app.sign_up("lin@example.com").await;
    let login = |email: &str, password: &str| json!({"email": email, "password": password});
    let body = app
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(login("LIN@example.com", PASSWORD)),
        )
        .await
        .ok(200);
    assert_eq!(body["user"]["id"], account.id.to_string());
    app.get("/api/me", body["token"].as_str().unwrap())
        .await
        .ok(200);

    for (email, password) in [
        ("lin@example.com", "wrong password"),
        ("who@example.com", PASSWORD),
    ] {
        app.send(
            Method::POST,
            "/api/login",
            None,
            Some(login(email, password)),
        )
        .await
        .error(401, "Invalid credentials");
    }
    app.send(
        Method::POST,
        "/api/login",
        None,
        Some(json!({"email": "lin@example.com"})),
    )
    .await
    .invalid(&["password: is required"]);
    app.send(Method::POST, "/api/login", None, Some(login("", "")))
        .await
        .invalid(&["email: is required", "password: is required"]);
}

#[actix_web::test]
async fn forms_sign_up_and_log_in() {
    let app = spawn().await;
    let form = "email=form%40example.com&password=correct+horse+battery&full_name=Form+User";
    let reply = app
        .raw(
            Method::POST,
            "/api/register",
            None,
            "application/x-www-form-urlencoded",
            form,
        )
        .await;
    assert_eq!(reply.ok(201)["user"]["full_name"], "Form User");
    let form = "email=form%40example.com&password=correct+horse+battery";
    let reply = app
        .raw(
            Method::POST,
            "/api/login",
            None,
            "application/x-www-form-urlencoded; charset=UTF-8",
            form,
        )
        .await;
    assert_eq!(reply.ok(200)["user"]["email"], "form@example.com");
}

#[actix_web::test]
async fn me_reads_and_patches_the_callers_profile() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    let me = app.get("/api/me", &ada.token).await.ok(200);
    assert_eq!(me["user"]["email"], ada.email);

    let patch = |body| app.send(Method::PATCH, "/api/me", Some(&ada.token), Some(body));
    let body = patch(json!({"full_name": " Countess ", "role": "admin"}))
        .await
        .ok(200);
    assert_eq!(body["user"]["full_name"], "Countess");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(body["user"]["email"], "ada@example.com");

    let body = patch(json!({"email": "ADA@lovelace.org"})).await.ok(200);
    assert_eq!(body["user"]["email"], "ada@lovelace.org");
    assert_eq!(body["user"]["full_name"], "Countess");

    patch(json!({"email": "Bob@example.com"}))
        .await
        .error(409, "Email already registered");
    patch(json!({}))
        .await
        .invalid(&["body: must contain at least one of: full_name, email"]);
    patch(json!({"full_name": "", "email": "x"}))
        .await
        .invalid(&[
            "full_name: must not be empty",
            "email: must be a valid email address",
        ]);

    let reply = app
        .raw(
            Method::PATCH,
            "/api/me",
            Some(&ada.token),
            "application/x-www-form-urlencoded",
            "full_name=From+a+form",
        )
        .await;
    assert_eq!(reply.ok(200)["user"]["full_name"], "From a form");
    app.send(
        Method::PATCH,
        "/api/me",
        None,
        Some(json!({"full_name": "x"})),
    )
    .await
    .error(401, "Authentication required");
}
