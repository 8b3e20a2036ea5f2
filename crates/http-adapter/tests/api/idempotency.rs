//! `Idempotency-Key` on `POST /api/projects`: a retry answers what the first
//! request answered, with `Idempotent-Replayed: true`, and creates nothing.

use crate::helpers::{Account, Reply, TestApp, spawn};
use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    test::TestRequest,
};
use serde_json::{Value, json};

fn create(account: &Account, key: &str, body: &Value) -> TestRequest {
    TestRequest::post()
        .uri("/api/projects")
        .insert_header(("authorization", format!("Bearer {}", account.token)))
        .insert_header(("idempotency-key", key.to_owned()))
        .set_json(body)
}

async fn total<S, B>(app: &TestApp<S>, account: &Account) -> u64
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    app.get("/api/projects", &account.token).await.ok(200)["total"]
        .as_u64()
        .unwrap()
}

fn replayed(reply: &Reply) -> Option<&str> {
    reply.header("idempotent-replayed")
}

#[actix_web::test]
async fn a_retry_answers_the_first_answer_exactly_and_creates_nothing() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let body = json!({"name": "Apollo", "budget": 10, "deadline": "2027-01-31"});
    let first = app.call(create(&ada, "order-1", &body)).await;
    first.ok(201);
    assert_eq!(replayed(&first), None);
    let id = first.json()["project"]["id"].as_str().unwrap().to_owned();
    // The project changes after its creation; the retry still answers it as created.
    app.send(
        actix_web::http::Method::PATCH,
        &format!("/api/projects/{id}"),
        Some(&ada.token),
        Some(json!({"status": "completed"})),
    )
    .await
    .ok(200);
    // The same fields, spelled otherwise (key order, 10 as 10.0).
    let respelled = json!({"deadline": "2027-01-31", "budget": 10.0, "name": "Apollo"});
    let retry = app.call(create(&ada, "order-1", &respelled)).await;
    retry.ok(201);
    assert_eq!(replayed(&retry), Some("true"));
    assert_eq!(retry.bytes, first.bytes, "the body is the first answer's");
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_eq!(total(&app, &ada).await, 1);
}

#[actix_web::test]
async fn a_key_reused_with_another_body_is_422_and_keys_are_per_user() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let grace = app.sign_up("grace@example.com").await;
    app.call(create(&ada, "k", &json!({"name": "Apollo"})))
        .await
        .ok(201);
    app.call(create(&ada, "k", &json!({"name": "Gemini"})))
        .await
        .error(422, "Idempotency key reused with a different body");
    app.call(create(
        &ada,
        "k",
        &json!({"name": "Apollo", "status": "active"}),
    ))
    .await
    .error(422, "Idempotency key reused with a different body");
    let theirs = app
        .call(create(&grace, "k", &json!({"name": "Gemini"})))
        .await;
    theirs.ok(201);
    assert_eq!(
        replayed(&theirs),
        None,
        "another user's key is a key of its own"
    );
    assert_eq!(total(&app, &ada).await, 1);
    assert_eq!(total(&app, &grace).await, 1);
}

#[actix_web::test]
async fn a_request_that_failed_leaves_its_key_free() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    app.call(create(&ada, "k", &json!({"name": ""})))
        .await
        .invalid(&["name: must not be empty"]);
    app.call(create(
        &ada,
        "k",
        &json!({"name": "Apollo", "deadline": "2020-01-01"}),
    ))
    .await
    .invalid(&["deadline: must be after today"]);
    let created = app
        .call(create(&ada, "k", &json!({"name": "Apollo"})))
        .await;
    created.ok(201);
    assert_eq!(replayed(&created), None);
}

#[actix_web::test]
async fn keys_must_be_1_to_255_visible_ascii_characters() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let body = json!({"name": "Apollo"});
    for key in [
        String::new(),
        "with space".into(),
        "k".repeat(256),
        "naïve".into(),
    ] {
        app.call(create(&ada, &key, &body))
            .await
            .invalid(&["Idempotency-Key: must be 1 to 255 visible ASCII characters"]);
    }
    app.call(create(&ada, &"k".repeat(255), &body))
        .await
        .ok(201);
    let twice = create(&ada, "a", &body).append_header(("idempotency-key", "b"));
    app.call(twice)
        .await
        .invalid(&["Idempotency-Key: must be 1 to 255 visible ASCII characters"]);
    assert_eq!(total(&app, &ada).await, 1);
}

#[actix_web::test]
async fn racing_retries_create_once() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let body = json!({"name": "Apollo"});
    let replies =
        futures_util::future::join_all((0..8).map(|_| app.call(create(&ada, "race", &body)))).await;
    let mut ids = std::collections::HashSet::new();
    for reply in &replies {
        match reply.status.as_u16() {
            201 => {
                ids.insert(reply.json()["project"]["id"].as_str().unwrap().to_owned());
            }
            409 => {
                reply.error(409, "Request in progress");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the one project");
    assert_eq!(total(&app, &ada).await, 1);
}
