//! The rate limiter in front of dummy routes: in memory, in a real Redis,
//! and with Redis unreachable.

#![allow(clippy::unwrap_used)] // test helpers, like the tests, may panic

#[macro_use]
mod support;

use actix_web::{dev::ServiceResponse, http::StatusCode, test as actix_test};
use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use support::{Capture, header, peer};
use trellis_http::hardening::{Metrics, RateLimitSettings, RateLimiter};

fn settings(max: u32, auth_max: u32) -> RateLimitSettings {
    RateLimitSettings {
        max,
        window: Duration::from_secs(60),
        auth_max,
        trust_proxy_hops: 0,
    }
}

fn memory(settings: RateLimitSettings) -> Arc<RateLimiter> {
    Arc::new(RateLimiter::memory(settings, 1_000))
}

/// `GET uri` from `from`, through `app`.
macro_rules! get {
    ($app:expr, $uri:expr, $from:expr) => {
        actix_test::call_service(
            $app,
            actix_test::TestRequest::get()
                .uri($uri)
                .peer_addr($from)
                .to_request(),
        )
        .await
    };
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn rate_headers<B>(response: &ServiceResponse<B>) -> (Option<String>, Option<String>) {
    (
        header(response, "x-ratelimit-limit"),
        header(response, "x-ratelimit-remaining"),
    )
}

#[actix_web::test]
async fn counts_per_client_and_refuses_with_json_429() {
    let metrics = Arc::new(Metrics::new());
    let limiter = memory(settings(3, 10));
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    for remaining in ["2", "1", "0"] {
        let response = get!(&app, "/api/projects/1", peer(1));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            rate_headers(&response),
            (Some("3".into()), Some(remaining.into()))
        );
        let reset: u64 = header(&response, "x-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (now_secs() + 59..=now_secs() + 61).contains(&reset),
            "{reset}"
        );
    }
    let refused = get!(&app, "/api/projects/1", peer(1));
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(rate_headers(&refused), (Some("3".into()), Some("0".into())));
    let retry_after: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    assert!(header(&refused, "x-ratelimit-reset").is_some());
    assert!(
        header(&refused, "x-frame-options").is_some(),
        "security headers on 429s too"
    );
    let request_id = header(&refused, "x-request-id").unwrap();
    let body = support::json(refused).await;
    assert_eq!(
        body,
        serde_json::json!({"error": "Too many requests", "request_id": request_id})
    );
    assert_eq!(limiter.rejections(), 1);

    // Another client has its own budget; paths outside /api are not limited.
    let other = get!(&app, "/api/projects/1", peer(2));
    assert_eq!(rate_headers(&other), (Some("3".into()), Some("2".into())));
    for _ in 0..5 {
        let health = get!(&app, "/health", peer(1));
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(rate_headers(&health), (None, None));
    }
}

#[actix_web::test]
async fn login_and_register_have_a_stricter_budget() {
    let metrics = Arc::new(Metrics::new());
    let limiter = memory(settings(100, 2));
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let login = || {
        actix_test::TestRequest::post()
            .uri("/api/login")
            .peer_addr(peer(3))
            .to_request()
    };
    for remaining in ["1", "0"] {
        let response = actix_test::call_service(&app, login()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            rate_headers(&response),
            (Some("2".into()), Some(remaining.into()))
        );
    }
    let refused = actix_test::call_service(&app, login()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(rate_headers(&refused), (Some("2".into()), Some("0".into())));
    let register = actix_test::TestRequest::post()
        .uri("/api/register")
        .peer_addr(peer(3))
        .to_request();
    let response = actix_test::call_service(&app, register).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one auth budget for both"
    );
    // Reads still have the general budget: 3 logins and 1 register counted.
    let read = get!(&app, "/api/projects/1", peer(3));
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(rate_headers(&read), (Some("100".into()), Some("95".into())));
}

#[actix_web::test]
async fn zero_turns_limits_off() {
    let metrics = Arc::new(Metrics::new());
    let limiter = memory(settings(0, 0));
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    for _ in 0..20 {
        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::post()
                .uri("/api/login")
                .peer_addr(peer(4))
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(rate_headers(&response), (None, None));
    }
}

#[actix_web::test]
async fn forwarded_for_counts_only_behind_trusted_proxies() {
    let request = |from: SocketAddr, forwarded: &str| {
        actix_test::TestRequest::get()
            .uri("/api/projects/1")
            .peer_addr(from)
            .insert_header(("x-forwarded-for", forwarded.to_owned()))
            .to_request()
    };
    let metrics = Arc::new(Metrics::new());

    // Not trusted: the peer is the client, whatever the header says.
    let limiter = memory(settings(1, 10));
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    assert_eq!(
        actix_test::call_service(&app, request(peer(5), "1.1.1.1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        actix_test::call_service(&app, request(peer(5), "2.2.2.2"))
            .await
            .status(),
        429
    );

    // One trusted proxy: the rightmost entry is the client; what the client
    // wrote to the left of it is ignored.
    let limiter = memory(RateLimitSettings {
        trust_proxy_hops: 1,
        ..settings(1, 10)
    });
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    assert_eq!(
        actix_test::call_service(&app, request(peer(5), "9.9.9.9, 1.1.1.1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        actix_test::call_service(&app, request(peer(5), "2.2.2.2"))
            .await
            .status(),
        200
    );
    assert_eq!(
        actix_test::call_service(&app, request(peer(6), "8.8.8.8, 1.1.1.1"))
            .await
            .status(),
        429
    );
    // Junk falls back to the peer.
    assert_eq!(
        actix_test::call_service(&app, request(peer(7), "junk"))
            .await
            .status(),
        200
    );
    assert_eq!(
        actix_test::call_service(&app, request(peer(7), ""))
            .await
            .status(),
        429
    );
}

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

#[actix_web::test]
async fn instances_sharing_redis_share_the_limit() {
    let mut direct = redis_connection().await;
    let prefix = format!("trellis-test:{}:", uuid::Uuid::new_v4());
    let settings = settings(20, 10);
    let first = Arc::new(
        RateLimiter::redis(&redis_url(), &prefix, settings)
            .await
            .unwrap(),
    );
    let second = Arc::new(
        RateLimiter::redis(&redis_url(), &prefix, settings)
            .await
            .unwrap(),
    );
    let metrics = Arc::new(Metrics::new());
    let app_a = actix_test::init_service(hardened_app!(first, metrics, None)).await;
    let app_b = actix_test::init_service(hardened_app!(second, metrics, None)).await;
    for n in 0..20u32 {
        let response = if n % 2 == 0 {
            get!(&app_a, "/api/projects/1", peer(9))
        } else {
            get!(&app_b, "/api/projects/1", peer(9))
        };
        assert_eq!(response.status(), StatusCode::OK, "request {n}");
        assert_eq!(
            rate_headers(&response),
            (Some("20".into()), Some((19 - n).to_string()))
        );
    }
    let refused = get!(&app_a, "/api/projects/1", peer(9));
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after").is_some());
    let refused = get!(&app_b, "/api/projects/1", peer(9));
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client is untouched.
    assert_eq!(
        get!(&app_b, "/api/projects/1", peer(10)).status(),
        StatusCode::OK
    );

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
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .arg(format!("{prefix}api:203.0.113.10"))
        .query_async(&mut direct)
        .await
        .unwrap();
}

#[actix_web::test]
async fn unreachable_redis_fails_open_fast_and_warns_once() {
    let (logs, _guard) = Capture::install();
    // Port 1 on loopback: nothing listens, connections are refused.
    let limiter = Arc::new(
        RateLimiter::redis("redis://127.0.0.1:1", "trellis-test:", settings(1, 1))
            .await
            .unwrap(),
    );
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let started = Instant::now();
    for _ in 0..30 {
        let response = get!(&app, "/api/projects/1", peer(11));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(rate_headers(&response), (None, None));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        logs.with_message("rate limit store unavailable; serving without limits")
            .len(),
        1
    );
    assert!(
        RateLimiter::redis("not a url", "p:", settings(1, 1))
            .await
            .is_err()
    );
}

/// A server that accepts connections and never answers: each request may
/// wait at most the call timeout once, then Redis is left alone.
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
    let started = Instant::now();
    let limiter = Arc::new(
        RateLimiter::redis(
            &format!("redis://{address}"),
            "trellis-test:",
            settings(1, 1),
        )
        .await
        .unwrap(),
    );
    let constructed = started.elapsed();
    assert!(constructed < Duration::from_millis(700), "{constructed:?}");
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(
            get!(&app, "/api/projects/1", peer(12)).status(),
            StatusCode::OK
        );
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(accepted.load(Ordering::SeqCst) <= 1, "no re-dial storm");
    silent.abort();
}

/// Redis comes back: after the pause, the limiter counts again.
#[actix_web::test]
async fn the_limiter_resumes_when_redis_comes_back() {
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
    let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
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
    let prefix = format!("trellis-test:{}:", uuid::Uuid::new_v4());
    let limiter = Arc::new(
        RateLimiter::redis(&format!("redis://{address}"), &prefix, settings(2, 10))
            .await
            .unwrap(),
    );
    let metrics = Arc::new(Metrics::new());
    let app = actix_test::init_service(hardened_app!(limiter, metrics, None)).await;
    let response = get!(&app, "/api/projects/1", peer(13));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(rate_headers(&response), (None, None), "failing open");

    open.store(true, Ordering::SeqCst);
    tokio::time::sleep(
        trellis_http::hardening::rate_limit::PAUSE_AFTER_FAILURE + Duration::from_millis(100),
    )
    .await;
    for remaining in ["1", "0"] {
        let response = get!(&app, "/api/projects/1", peer(13));
        assert_eq!(
            rate_headers(&response),
            (Some("2".into()), Some(remaining.into()))
        );
    }
    assert_eq!(
        get!(&app, "/api/projects/1", peer(13)).status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    proxy.abort();
    let _: () = redis::cmd("DEL")
        .arg(format!("{prefix}api:203.0.113.13"))
        .query_async(&mut direct)
        .await
        .unwrap();
}
