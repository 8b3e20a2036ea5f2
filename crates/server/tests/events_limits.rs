//! Event streams' limits and endings against the real binary: the
//! per-user cap, refusals before the upgrade, tickets, a session that ends,
//! and SIGTERM with open streams.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{
    binary::Trellis,
    raw,
    streams::{self, Frame},
};
use trellis_postgres::testkit::TestDatabase;

const SOON: Duration = Duration::from_secs(5);

async fn start(database: &TestDatabase) -> Trellis {
    let trellis = Trellis::spawn(&[
        ("DATABASE_URL", database.url()),
        ("JWT_SECRET", "events-limits-secret-that-is-32-bytes!!"),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
        ("EVENTS_MAX_PER_USER", "3"),
        ("SHUTDOWN_TIMEOUT_SECS", "3"),
    ]);
    trellis
        .wait_for("/health/ready", Duration::from_secs(20))
        .await;
    trellis
}

async fn post(trellis: &Trellis, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let body = body.to_string();
    let (status, answer) = raw::request(trellis.addr(), "POST", path, token, Some(&body))
        .await
        .unwrap();
    (status, serde_json::from_str(&answer).unwrap_or(Value::Null))
}

async fn sign_up(trellis: &Trellis) -> String {
    let body = json!({"email": "ada@example.com", "password": "correct horse", "full_name": "Ada"});
    let (status, answer) = post(trellis, "/api/register", None, body).await;
    assert_eq!(status, 201);
    answer["token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn streams_are_capped_per_user_and_refused_before_the_upgrade() {
    let database = TestDatabase::create().await;
    let trellis = start(&database).await;
    let token = sign_up(&trellis).await;
    let addr = trellis.addr();

    assert_eq!(streams::ws(addr, "", None).await.err(), Some(401));
    assert_eq!(
        streams::ws(addr, "", Some("not.a.jwt")).await.err(),
        Some(401)
    );
    assert_eq!(
        streams::ws(addr, "?after=-3", Some(&token)).await.err(),
        Some(400)
    );
    let (status, body) = streams::sse(addr, "not.a.jwt", &[]).await.err().unwrap();
    assert_eq!(status, 401);
    assert!(body.contains("Invalid token"), "{body}");

    let mut open = vec![
        streams::ws(addr, "", Some(&token)).await.unwrap(),
        streams::ws(addr, "", Some(&token)).await.unwrap(),
    ];
    let sse = streams::sse(addr, &token, &[]).await.unwrap();
    assert_eq!(streams::ws(addr, "", Some(&token)).await.err(), Some(429));
    let (status, body) = streams::sse(addr, &token, &[]).await.err().unwrap();
    assert_eq!(status, 429);
    assert!(body.contains("Too many streams"), "{body}");
    open.pop().unwrap().close().await;
    drop(sse);
    tokio::time::sleep(Duration::from_millis(200)).await;
    open.push(streams::ws(addr, "", Some(&token)).await.unwrap());
    assert!(
        streams::sse(addr, &token, &[]).await.is_ok(),
        "freed slots are reused"
    );
}

#[actix_web::test]
async fn a_ticket_opens_one_stream_once() {
    let database = TestDatabase::create().await;
    let trellis = start(&database).await;
    let token = sign_up(&trellis).await;
    let (status, answer) = post(&trellis, "/api/events/ticket", Some(&token), json!({})).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["expires_in"], 30);
    let query = format!("?ticket={}", answer["ticket"].as_str().unwrap());
    let mut ws = streams::ws(trellis.addr(), &query, None).await.unwrap();
    assert_eq!(
        streams::ws(trellis.addr(), &query, None).await.err(),
        Some(401),
        "spent"
    );
    assert_eq!(
        streams::ws(trellis.addr(), "?ticket=made-up", None)
            .await
            .err(),
        Some(401)
    );
    post(
        &trellis,
        "/api/projects",
        Some(&token),
        json!({"name": "Apollo"}),
    )
    .await;
    assert_eq!(ws.next(SOON).await.data()["type"], "project.created");
}

#[actix_web::test]
async fn the_streams_of_an_ended_session_close_within_a_second() {
    let database = TestDatabase::create().await;
    let trellis = start(&database).await;
    let token = sign_up(&trellis).await;
    let mut ws = streams::ws(trellis.addr(), "", Some(&token)).await.unwrap();
    let mut sse = streams::sse(trellis.addr(), &token, &[]).await.unwrap();
    assert_eq!(
        post(&trellis, "/api/logout", Some(&token), json!({}))
            .await
            .0,
        204
    );
    let ended = Instant::now();
    assert_eq!(
        ws.next(Duration::from_secs(1)).await,
        Frame::Closed(Some(1008))
    );
    assert_eq!(sse.next(Duration::from_secs(1)).await, Frame::Closed(None));
    eprintln!("both streams closed {:?} after the logout", ended.elapsed());
    assert!(ended.elapsed() < Duration::from_secs(1));
}

#[actix_web::test]
async fn sigterm_closes_every_stream_and_still_stops_in_time() {
    let database = TestDatabase::create().await;
    let mut trellis = start(&database).await;
    let token = sign_up(&trellis).await;
    let mut ws = streams::ws(trellis.addr(), "", Some(&token)).await.unwrap();
    let mut sse = streams::sse(trellis.addr(), &token, &[]).await.unwrap();
    let signalled = Instant::now();
    trellis.terminate();
    assert_eq!(ws.next(SOON).await, Frame::Closed(Some(1001)));
    assert_eq!(sse.next(SOON).await, Frame::Closed(None));
    let status = trellis.wait_exit(Duration::from_secs(10));
    eprintln!(
        "streams closed and the process exited {:?} after SIGTERM",
        signalled.elapsed()
    );
    assert!(status.success(), "{status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "within SHUTDOWN_TIMEOUT_SECS"
    );
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_closed_with_1008() {
    let database = TestDatabase::create().await;
    let trellis = start(&database).await;
    let token = sign_up(&trellis).await;
    let mut slow = streams::slow_ws(trellis.addr(), &token).await;
    let description = "x".repeat(4000);
    let written = Instant::now();
    let mut n = 0;
    // More than the kernel's buffers and the 1,000 queued, eight at a time.
    while n < 2400 {
        let batch = (0..8).map(|k| {
            let body = json!({"name": format!("p{}", n + k), "description": description});
            let (trellis, token) = (&trellis, &token);
            async move { post(trellis, "/api/projects", Some(token), body).await.0 }
        });
        assert!(
            futures_util::future::join_all(batch)
                .await
                .iter()
                .all(|s| *s == 201)
        );
        n += 8;
    }
    let mut received = 0;
    let close = loop {
        match slow.next(Duration::from_secs(15)).await {
            Frame::Event { .. } => received += 1,
            other => break other,
        }
    };
    eprintln!(
        "{n} events written in {:?}; the client read {received} before the close",
        written.elapsed()
    );
    assert_eq!(close, Frame::Closed(Some(1008)));
    assert!(received < n, "not everything was buffered for it");
}
