//! Sessions across instances: two `trellis` processes on one database; a
//! session ended on one is refused on the other within a second, also
//! after the other's listening connection was killed and came back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::{binary::Trellis, raw};
use trellis_postgres::testkit::TestDatabase;

const SECRET: &str = "sessions-tests-secret-that-is-32-bytes-long";

fn settings(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", SECRET),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
    ]
}

async fn post(
    trellis: &Trellis,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let (status, body) = raw::request(trellis.addr(), "POST", path, token, body)
        .await
        .unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn me(trellis: &Trellis, token: &str) -> (u16, Value) {
    let (status, body) = raw::request(trellis.addr(), "GET", "/api/me", Some(token), None)
        .await
        .unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Logs in on `a`, logs out on `a`, and times until `b` refuses the token.
async fn revocation_delay(a: &Trellis, b: &Trellis) -> Duration {
    let login = r#"{"email":"ada@example.com","password":"correct horse"}"#;
    let (status, session) = post(a, "/api/login", None, Some(login)).await;
    assert_eq!(status, 200);
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(me(b, &token).await.0, 200, "the other instance accepts it");
    let (status, _) = post(a, "/api/logout", Some(&token), None).await;
    assert_eq!(status, 204);
    let logged_out = Instant::now();
    loop {
        let (status, body) = me(b, &token).await;
        if status == 401 {
            assert_eq!(body["error"], "Token revoked");
            return logged_out.elapsed();
        }
        assert!(
            logged_out.elapsed() < Duration::from_secs(5),
            "still accepted after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_web::test]
async fn a_logout_on_one_instance_is_refused_on_the_other_within_a_second() {
    let database = TestDatabase::create().await;
    let a = Trellis::spawn(&settings(database.url()));
    let b = Trellis::spawn(&settings(database.url()));
    for trellis in [&a, &b] {
        trellis
            .wait_for("/health/ready", Duration::from_secs(20))
            .await;
    }
    let register = r#"{"email":"ada@example.com","password":"correct horse","full_name":"Ada"}"#;
    assert_eq!(post(&a, "/api/register", None, Some(register)).await.0, 201);
    // Let both listeners connect before the first notice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut delays = Vec::new();
    for _ in 0..10 {
        delays.push(revocation_delay(&a, &b).await);
    }
    delays.sort();
    eprintln!(
        "logout on A refused on B after: median {:?}, worst of 10 {:?}",
        delays[5], delays[9]
    );
    assert!(delays[9] < Duration::from_secs(1), "{delays:?}");

    // B's listening connection is killed: it reconnects, resyncs, and a
    // session ended meanwhile is refused too.
    let client = database.client().await;
    let killed: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'trellis-listener'",
            &[&database.name()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 2, "both instances' listeners");
    let login = r#"{"email":"ada@example.com","password":"correct horse"}"#;
    let (_, session) = post(&a, "/api/login", None, Some(login)).await;
    let token = session["token"].as_str().unwrap().to_owned();
    post(&a, "/api/logout", Some(&token), None).await;
    let ended = Instant::now();
    loop {
        if me(&b, &token).await.0 == 401 {
            break;
        }
        assert!(
            ended.elapsed() < Duration::from_secs(10),
            "the listener never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "after the listener was killed: refused on B after {:?}",
        ended.elapsed()
    );
    assert!(
        revocation_delay(&a, &b).await < Duration::from_secs(1),
        "live notices again after the reconnect"
    );
}

#[actix_web::test]
async fn refresh_rotates_across_instances_and_racing_refreshes_share_one_successor() {
    let database = TestDatabase::create().await;
    let a = Trellis::spawn(&settings(database.url()));
    let b = Trellis::spawn(&settings(database.url()));
    for trellis in [&a, &b] {
        trellis
            .wait_for("/health/ready", Duration::from_secs(20))
            .await;
    }
    let register = r#"{"email":"ada@example.com","password":"correct horse","full_name":"Ada"}"#;
    let (_, signed_in) = post(&a, "/api/register", None, Some(register)).await;
    let refresh_token = signed_in["refresh_token"].as_str().unwrap().to_owned();
    let body = format!(r#"{{"refresh_token":"{refresh_token}"}}"#);
    // Eight refreshes of one token at once, on both instances.
    let answers = futures_util::future::join_all((0..8).map(|n| {
        let target = if n % 2 == 0 { &a } else { &b };
        let body = body.clone();
        async move { post(target, "/api/token/refresh", None, Some(&body)).await }
    }))
    .await;
    let successors: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 200, "{answer}");
            answer["refresh_token"].as_str().unwrap().to_owned()
        })
        .collect();
    eprintln!(
        "8 racing refreshes on 2 instances: {} distinct successor(s)",
        successors.len()
    );
    assert_eq!(successors.len(), 1);
    let live: i64 = database
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM refresh_tokens WHERE spent_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 1, "one live token in the session");
}
