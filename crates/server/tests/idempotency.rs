//! Idempotent creates on PostgreSQL, from outside: two `trellis` processes
//! on one database, racing retries of one key over real sockets, and a
//! claim left behind by a process that died mid-request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::binary::Trellis;
use trellis_postgres::testkit::TestDatabase;

fn settings(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", "idempotency-tests-secret-of-32-bytes!!"),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
    ]
}

/// An answer: status, `Idempotent-Replayed`, body.
type Answer = (u16, Option<String>, Value);

async fn post(
    trellis: &Trellis,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> Answer {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut request = client.post(format!("{}{path}", trellis.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.insert_header(("Idempotency-Key", key));
    }
    let mut response = request.send_json(body).await.expect("request sent");
    let bytes = response.body().await.expect("body read");
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|value| value.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        replayed,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn start(database: &TestDatabase) -> Trellis {
    let trellis = Trellis::spawn(&settings(database.url()));
    trellis
        .wait_for("/health/ready", Duration::from_secs(20))
        .await;
    trellis
}

async fn sign_up(trellis: &Trellis) -> (String, String) {
    let body = json!({"email": "ada@example.com", "password": "correct horse", "full_name": "Ada"});
    let (status, _, answer) = post(trellis, "/api/register", None, None, &body).await;
    assert_eq!(status, 201, "{answer}");
    (
        answer["token"].as_str().unwrap().to_owned(),
        answer["user"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn projects(database: &TestDatabase) -> i64 {
    let client = database.client().await;
    client
        .query_one("SELECT count(*) FROM projects", &[])
        .await
        .unwrap()
        .get(0)
}

#[actix_web::test]
async fn racing_retries_on_two_instances_create_one_project() {
    let database = TestDatabase::create().await;
    let (a, b) = (start(&database).await, start(&database).await);
    let (token, _) = sign_up(&a).await;
    let body = json!({"name": "Apollo", "budget": 12500.5});
    for round in 0..5 {
        let key = format!("race-{round}");
        let racers = (0..16).map(|n| {
            let instance = if n % 2 == 0 { &a } else { &b };
            post(instance, "/api/projects", Some(&token), Some(&key), &body)
        });
        let answers = futures_util::future::join_all(racers).await;
        let mut created = Vec::new();
        for (status, replayed, answer) in answers {
            match status {
                201 => created.push((replayed, answer["project"].clone())),
                409 => assert_eq!(answer["error"], "Request in progress"),
                other => panic!("unexpected {other}: {answer}"),
            }
        }
        let firsts = created
            .iter()
            .filter(|(replayed, _)| replayed.is_none())
            .count();
        assert_eq!(
            firsts, 1,
            "one answer created, the others replayed: {created:?}"
        );
        assert!(created.iter().all(|(_, project)| *project == created[0].1));
        assert_eq!(projects(&database).await, round + 1);
    }
}

#[actix_web::test]
async fn a_claim_left_by_a_dead_process_is_in_progress_until_its_lease_ends() {
    let database = TestDatabase::create().await;
    let trellis = start(&database).await;
    let (token, _) = sign_up(&trellis).await;
    let body = json!({"name": "Apollo"});
    let (status, _, first) = post(&trellis, "/api/projects", Some(&token), Some("k"), &body).await;
    assert_eq!(status, 201, "{first}");
    // As a process that claimed the key and died before its create
    // committed leaves it: a claim without an answer, and no project.
    let client = database.client().await;
    client
        .batch_execute(
            "DELETE FROM projects;
             UPDATE idempotency_keys SET project_id = NULL, name = NULL, description = NULL,
                 status = NULL, budget = NULL, deadline = NULL, created_at = NULL,
                 updated_at = NULL, claimed_at = now()",
        )
        .await
        .unwrap();
    let (status, _, answer) = post(&trellis, "/api/projects", Some(&token), Some("k"), &body).await;
    assert_eq!(
        (status, &answer["error"]),
        (409, &json!("Request in progress"))
    );
    let (status, _, answer) = post(
        &trellis,
        "/api/projects",
        Some(&token),
        Some("k"),
        &json!({"name": "Other"}),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]),
        (422, &json!("Idempotency key reused with a different body"))
    );
    assert_eq!(projects(&database).await, 0);

    client
        .batch_execute("UPDATE idempotency_keys SET claimed_at = now() - interval '61 seconds'")
        .await
        .unwrap();
    let (status, replayed, taken_over) =
        post(&trellis, "/api/projects", Some(&token), Some("k"), &body).await;
    assert_eq!((status, replayed.as_deref()), (201, None), "{taken_over}");
    let (status, replayed, again) =
        post(&trellis, "/api/projects", Some(&token), Some("k"), &body).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(again, taken_over);
    assert_eq!(projects(&database).await, 1);
}
