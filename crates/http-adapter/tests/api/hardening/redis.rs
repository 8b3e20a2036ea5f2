//! Rate limits counted in a real Redis: shared by instances, and never off
//! when Redis fails (each instance counts in memory until it answers).

use crate::{
    helpers::{Setup, peer, spawn_with},
    logs::Capture,
};
use actix_web::test::TestRequest;
use serde_json::json;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use trellis_memory::MemoryCounters;
use trellis_redis::{PAUSE_AFTER_FAILURE, RedisCounters};
use trellis_services::{RateLimitPolicy, ResilientCounters};

/// The Redis the tests use; they fail (never skip) when it does not answer.
fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

async fn redis_connection() -> redis::aio::MultiplexedConnection {
    let url = redis_url();
    let client = redis::Client::open(url.as_str()).expect("a Redis URL");
    let connection = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .ok()
    .and_then(Result::ok);
    connection.unwrap_or_else(|| {
        panic!("Redis does not answer at {url}: start one (`docker compose up -d redis`) or set REDIS_URL")
    })
}

/// Counters in the Redis at `url` under `prefix`, memory behind them.
fn counters(url: &str, prefix: &str) -> Arc<ResilientCounters> {
    Arc::new(ResilientCounters::shared(
        Arc::new(RedisCounters::new(url, prefix).unwrap()),
        Arc::new(MemoryCounters::new(1_000)),
    ))
}

fn setup(counters: Arc<ResilientCounters>, max: u32) -> Setup {
    Setup {
        limits: Some(RateLimitPolicy {
            max,
            auth_max: 10,
            window: Duration::from_secs(60),
        }),
        counters: Some(counters),
        ..Setup::default()
    }
}

fn me(n: u8) -> TestRequest {
    TestRequest::get().uri("/api/me").peer_addr(peer(n))
}

fn fresh_prefix() -> String {
    format!("trellis-test:{}:", uuid::Uuid::new_v4())
}

async fn delete_keys(direct: &mut redis::aio::MultiplexedConnection, prefix: &str) {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(direct)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(direct)
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn instances_sharing_redis_share_the_limit() {
    let mut direct = redis_connection().await;
    let prefix = fresh_prefix();
    let app_a = spawn_with(setup(counters(&redis_url(), &prefix), 20)).await;
    let app_b = spawn_with(setup(counters(&redis_url(), &prefix), 20)).await;
    for n in 0..20u32 {
        let reply = if n % 2 == 0 {
            app_a.call(me(9)).await
        } else {
            app_b.call(me(9)).await
        };
        assert_eq!(reply.status, 401, "request {n}");
        assert_eq!(
            (
                reply.header("x-ratelimit-limit"),
                reply.header("x-ratelimit-remaining")
            ),
            (Some("20"), Some((19 - n).to_string().as_str()))
        );
    }
    app_a.call(me(9)).await.error(429, "Too many requests");
    app_b.call(me(9)).await.error(429, "Too many requests");
    assert_eq!(app_b.call(me(10)).await.status, 401, "another client");

    let key = format!("{prefix}api:203.0.113.9");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut direct)
        .await
        .unwrap();
    assert!(
        (1..=60_000).contains(&ttl),
        "the window expires: PTTL {ttl}"
    );
    let count: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut direct)
        .await
        .unwrap();
    assert_eq!(count, 22);
    delete_keys(&mut direct, &prefix).await;
}

#[actix_web::test]
async fn failed_logins_are_shared_by_instances_through_redis() {
    let mut direct = redis_connection().await;
    let prefix = fresh_prefix();
    let throttled = |counters| Setup {
        login_failures_max: 3,
        ..setup(counters, 100)
    };
    let app_a = spawn_with(throttled(counters(&redis_url(), &prefix))).await;
    let app_b = spawn_with(throttled(counters(&redis_url(), &prefix))).await;
    let wrong = |n: u8| {
        TestRequest::post()
            .uri("/api/login")
            .peer_addr(peer(n))
            .set_json(json!({"email": "ada@example.com", "password": "not the password"}))
    };
    assert_eq!(app_a.call(wrong(1)).await.status, 401);
    assert_eq!(app_b.call(wrong(2)).await.status, 401);
    assert_eq!(app_a.call(wrong(3)).await.status, 401);
    app_b.call(wrong(4)).await.error(429, "Too many requests");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}login-failures:*"))
        .query_async(&mut direct)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert!(
        !keys[0].contains("ada"),
        "the e-mail is hashed: {}",
        keys[0]
    );
    delete_keys(&mut direct, &prefix).await;
}

#[actix_web::test]
async fn unreachable_redis_counts_in_memory_fast_and_warns_once() {
    let (logs, _guard) = Capture::install();
    // Port 1 on loopback: nothing listens, connections are refused.
    let app = spawn_with(setup(counters("redis://127.0.0.1:1", "trellis-test:"), 3)).await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.call(me(11)).await.status.as_u16());
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(&statuses[..4], [401, 401, 401, 429], "the limit holds");
    assert!(statuses[4..].iter().all(|status| *status == 429));
    assert_eq!(
        logs.with_message(
            "rate-limit store unavailable; counting in this instance's memory until it answers"
        )
        .len(),
        1,
        "{}",
        logs.text()
    );
    assert!(app.limiter.stats().fallback_active);
    let metrics = app.call(TestRequest::get().uri("/metrics")).await;
    let text = String::from_utf8(metrics.bytes.to_vec()).unwrap();
    assert!(text.contains("\nrate_limit_fallback_active 1\n"), "{text}");
    assert!(RedisCounters::new("not a url", "p:").is_err());
}

/// A server that accepts connections and never answers: one call waits the
/// timeout once, then Redis is left alone and memory counts.
#[actix_web::test]
async fn a_silent_redis_costs_one_timeout_not_one_per_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let app = spawn_with(setup(
        counters(&format!("redis://{address}"), "trellis-test:"),
        1,
    ))
    .await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(app.call(me(12)).await.status.as_u16());
    }
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(&statuses[..2], [401, 429]);
    assert!(accepted.load(Ordering::SeqCst) <= 1, "no re-dial storm");
    silent.abort();
}

/// Redis comes back: after the pause, the counting goes back to it.
#[actix_web::test]
async fn counting_goes_back_to_redis_when_it_answers() {
    let (logs, _guard) = Capture::install();
    let mut direct = redis_connection().await;
    let target = match redis::Client::open(redis_url().as_str())
        .unwrap()
        .get_connection_info()
        .addr
        .clone()
    {
        redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        other => panic!("the test needs Redis over TCP, not {other:?}"),
    };
    // A door in front of Redis: closed (connections dropped) until opened.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let open = Arc::new(AtomicBool::new(false));
    let door = Arc::clone(&open);
    let proxy = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if !door.load(Ordering::SeqCst) {
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    let prefix = fresh_prefix();
    let app = spawn_with(setup(counters(&format!("redis://{address}"), &prefix), 2)).await;
    let reply = app.call(me(13)).await;
    assert_eq!(
        reply.header("x-ratelimit-remaining"),
        Some("1"),
        "counted in memory"
    );
    assert!(app.limiter.stats().fallback_active);

    open.store(true, Ordering::SeqCst);
    tokio::time::sleep(PAUSE_AFTER_FAILURE + Duration::from_millis(100)).await;
    for remaining in ["1", "0"] {
        let reply = app.call(me(13)).await;
        assert_eq!(
            reply.header("x-ratelimit-remaining"),
            Some(remaining),
            "a fresh window in Redis"
        );
    }
    app.call(me(13)).await.error(429, "Too many requests");
    assert!(!app.limiter.stats().fallback_active);
    assert_eq!(
        logs.with_message("rate-limit store answers again; counting there")
            .len(),
        1
    );
    let count: u64 = redis::cmd("GET")
        .arg(format!("{prefix}api:203.0.113.13"))
        .query_async(&mut direct)
        .await
        .unwrap();
    assert_eq!(count, 3);
    proxy.abort();
    delete_keys(&mut direct, &prefix).await;
}
