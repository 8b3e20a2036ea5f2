//! Event streams against the real binary: two `trellis` processes on one
//! database, real WebSocket and SSE clients on real sockets.

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

const SECRET: &str = "events-tests-secret-that-is-32-bytes-long!";
const SOON: Duration = Duration::from_secs(5);

fn settings(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", SECRET),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
        ("SHUTDOWN_TIMEOUT_SECS", "5"),
    ]
}

async fn call(
    trellis: &Trellis,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|body| body.to_string());
    let (status, answer) = raw::request(trellis.addr(), method, path, token, body.as_deref())
        .await
        .unwrap();
    (status, serde_json::from_str(&answer).unwrap_or(Value::Null))
}

/// Signs `email` up on `trellis`; its bearer token.
async fn sign_up(trellis: &Trellis, email: &str) -> String {
    let body = json!({"email": email, "password": "correct horse", "full_name": "Ada"});
    let (status, answer) = call(trellis, "POST", "/api/register", None, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    answer["token"].as_str().unwrap().to_owned()
}

async fn create(trellis: &Trellis, token: &str, name: &str) -> Value {
    let (status, answer) = call(
        trellis,
        "POST",
        "/api/projects",
        Some(token),
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    answer["project"].clone()
}

async fn two_instances(database: &TestDatabase, extra: &[(&str, &str)]) -> (Trellis, Trellis) {
    let mut vars = settings(database.url());
    vars.extend_from_slice(extra);
    let a = Trellis::spawn(&vars);
    let b = Trellis::spawn(&vars);
    for trellis in [&a, &b] {
        trellis
            .wait_for("/health/ready", Duration::from_secs(20))
            .await;
    }
    // Let both listeners connect before the first notice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (a, b)
}

#[actix_web::test]
async fn a_write_on_one_instance_reaches_streams_on_both_in_commit_order() {
    let database = TestDatabase::create().await;
    let (a, b) = two_instances(&database, &[]).await;
    let token = sign_up(&a, "ada@example.com").await;
    let other = sign_up(&b, "bob@example.com").await;
    let mut sse_b = streams::sse(b.addr(), &token, &[]).await.unwrap();
    let mut ws_a = streams::ws(a.addr(), "", Some(&token)).await.unwrap();
    let mut bobs = streams::sse(a.addr(), &other, &[]).await.unwrap();

    let written = Instant::now();
    let project = create(&a, &token, "Apollo").await;
    let id = project["id"].as_str().unwrap().to_owned();
    let Frame::Event {
        id: event_id,
        kind,
        data,
    } = sse_b.next(SOON).await
    else {
        panic!("no event on B")
    };
    eprintln!("create on A seen on B after {:?}", written.elapsed());
    assert_eq!(kind.as_deref(), Some("project.created"));
    assert_eq!(event_id.as_deref(), data["id"].as_str());
    assert_eq!(data["type"], "project.created");
    assert_eq!(data["project_id"], id.as_str());
    assert_eq!(data["project"], project, "rendered as the REST answer");
    assert!(data["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ws_a.next(SOON).await.data(), data, "the same on both");

    let path = format!("/api/projects/{id}");
    let (_, updated) = call(
        &b,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"status": "completed"})),
    )
    .await;
    assert_eq!(call(&b, "DELETE", &path, Some(&token), None).await.0, 204);
    for stream_event in [sse_b.next(SOON).await.data(), ws_a.next(SOON).await.data()] {
        assert_eq!(stream_event["type"], "project.updated");
        assert_eq!(stream_event["project"], updated["project"]);
    }
    for stream_event in [sse_b.next(SOON).await.data(), ws_a.next(SOON).await.data()] {
        assert_eq!(stream_event["type"], "project.deleted");
        assert_eq!(stream_event["project"], Value::Null);
    }
    assert_eq!(
        bobs.next(Duration::from_millis(300)).await,
        Frame::Silent,
        "only the owner's"
    );

    // Announced, not found by the hub's 5 s read of the log: each write
    // reaches the other instance's stream well within a second.
    for n in 0..5 {
        let written = Instant::now();
        create(&a, &token, &format!("timed {n}")).await;
        assert_eq!(
            sse_b.next(SOON).await.data()["project"]["name"],
            format!("timed {n}")
        );
        let took = written.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "write {n} reached B after {took:?}"
        );
        ws_a.next(SOON).await;
    }

    // Fifty writes from both instances: every one arrives, in id order.
    for n in 0..50 {
        let target = if n % 2 == 0 { &a } else { &b };
        create(target, &token, &format!("p{n}")).await;
    }
    let mut last = 0u64;
    for _ in 0..50 {
        let event = sse_b.next(SOON).await.data();
        let id: u64 = event["id"].as_str().unwrap().parse().unwrap();
        assert!(id > last, "in order");
        last = id;
        assert_eq!(ws_a.next(SOON).await.data()["id"], event["id"]);
    }
}

#[actix_web::test]
async fn streams_resume_after_an_id_and_resync_past_retention() {
    let database = TestDatabase::create().await;
    let (a, b) = two_instances(&database, &[]).await;
    let token = sign_up(&a, "ada@example.com").await;
    let mut sse = streams::sse(a.addr(), &token, &[]).await.unwrap();
    for name in ["one", "two", "three"] {
        create(&a, &token, name).await;
    }
    let first = sse.next(SOON).await.data();
    let first_id = first["id"].as_str().unwrap().to_owned();
    drop(sse);

    // SSE on the other instance, after the first: the two others, then live.
    let mut resumed = streams::sse(b.addr(), &token, &[("Last-Event-ID", &first_id)])
        .await
        .unwrap();
    let kept: Vec<Value> = vec![
        resumed.next(SOON).await.data(),
        resumed.next(SOON).await.data(),
    ];
    assert_eq!(kept[0]["project"]["name"], "two");
    assert_eq!(kept[1]["project"]["name"], "three");
    create(&a, &token, "four").await;
    assert_eq!(resumed.next(SOON).await.data()["project"]["name"], "four");

    // A WebSocket, after the second.
    let after = format!("?after={}", kept[0]["id"].as_str().unwrap());
    let mut ws = streams::ws(a.addr(), &after, Some(&token)).await.unwrap();
    assert_eq!(ws.next(SOON).await.data()["project"]["name"], "three");
    assert_eq!(ws.next(SOON).await.data()["project"]["name"], "four");
    ws.close().await;

    // Past retention (the sweeper's mark moved past it), or an id never
    // issued: one resync, then the live events.
    let client = database.client().await;
    client
        .execute(
            "UPDATE event_horizon SET swept_through = $1",
            &[&first_id.parse::<i64>().unwrap()],
        )
        .await
        .unwrap();
    for after in ["?after=0", "?after=999999999"] {
        let mut ws = streams::ws(b.addr(), after, Some(&token)).await.unwrap();
        assert_eq!(
            ws.next(SOON).await.data(),
            json!({"type": "resync"}),
            "{after}"
        );
        create(&a, &token, "live").await;
        assert_eq!(ws.next(SOON).await.data()["project"]["name"], "live");
        ws.close().await;
    }
    let (status, answer) = call(&a, "GET", "/api/events?after=x", Some(&token), None).await;
    assert_eq!(
        (status, answer["details"][0].as_str()),
        (400, Some("after: must be an event id"))
    );
}

#[actix_web::test]
async fn a_stream_opened_on_an_idle_instance_gets_every_write_from_its_first() {
    let database = TestDatabase::create().await;
    let (a, b) = two_instances(&database, &[]).await;
    let token = sign_up(&a, "ada@example.com").await;
    // No stream is open on B, so B does not listen for commits: it starts
    // as this stream opens, while A already writes.
    let mut on_b = streams::sse(b.addr(), &token, &[]).await.unwrap();
    for n in 0..20 {
        create(&a, &token, &format!("burst {n}")).await;
    }
    for n in 0..20 {
        let event = on_b.next(SOON).await.data();
        assert_eq!(event["project"]["name"], format!("burst {n}"));
    }
}

#[actix_web::test]
async fn a_killed_listener_connection_loses_no_event() {
    let database = TestDatabase::create().await;
    let (a, b) = two_instances(&database, &[]).await;
    let token = sign_up(&a, "ada@example.com").await;
    let mut on_b = streams::sse(b.addr(), &token, &[]).await.unwrap();
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
    // Written while B's listener is down and reconnecting.
    let written = Instant::now();
    for n in 0..20 {
        create(&a, &token, &format!("during {n}")).await;
    }
    for n in 0..20 {
        let event = on_b.next(Duration::from_secs(15)).await.data();
        assert_eq!(event["project"]["name"], format!("during {n}"));
    }
    eprintln!(
        "20 events written across a listener restart, all on B after {:?}",
        written.elapsed()
    );
    create(&a, &token, "after").await;
    assert_eq!(on_b.next(SOON).await.data()["project"]["name"], "after");
}

#[actix_web::test]
async fn a_write_made_outside_trellis_reaches_streams_at_the_next_read_of_the_log() {
    let database = TestDatabase::create().await;
    let (a, _b) = two_instances(&database, &[]).await;
    let token = sign_up(&a, "ada@example.com").await;
    let (_, me) = call(&a, "GET", "/api/me", Some(&token), None).await;
    let owner: uuid::Uuid = me["user"]["id"].as_str().unwrap().parse().unwrap();
    let mut on_a = streams::sse(a.addr(), &token, &[]).await.unwrap();
    // No instance made this write, so none announces it: the hub's
    // periodic read of the log (every 5 s) finds it.
    let written = Instant::now();
    database
        .client()
        .await
        .execute(
            "INSERT INTO projects (id, user_id, name) VALUES (gen_random_uuid(), $1, 'by hand')",
            &[&owner],
        )
        .await
        .unwrap();
    let event = on_a.next(Duration::from_secs(8)).await.data();
    eprintln!(
        "a write outside Trellis reached the stream after {:?}",
        written.elapsed()
    );
    assert_eq!(event["type"], "project.created");
    assert_eq!(event["project"]["name"], "by hand");
}
