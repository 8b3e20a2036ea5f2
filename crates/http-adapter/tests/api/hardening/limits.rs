//! Rate limits in memory: per client, the stricter one on authentication,
//! each turned off on its own, every spelling of a path counted as the
//! route it reaches, and failed logins counted per account.

use crate::helpers::{PASSWORD, Reply, Setup, peer, spawn_with};
use actix_web::{http::Method, test::TestRequest};
use serde_json::json;
use std::{
    net::SocketAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use trellis_services::RateLimitPolicy;

fn limited(max: u32, auth_max: u32) -> Setup {
    Setup {
        limits: Some(RateLimitPolicy {
            max,
            auth_max,
            window: Duration::from_secs(60),
        }),
        ..Setup::default()
    }
}

fn rate_headers(reply: &Reply) -> (Option<&str>, Option<&str>) {
    (
        reply.header("x-ratelimit-limit"),
        reply.header("x-ratelimit-remaining"),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn get(uri: &str, from: SocketAddr) -> TestRequest {
    TestRequest::get().uri(uri).peer_addr(from)
}

/// `POST uri` with a wrong password for `email`.
fn wrong_login(uri: &str, email: &str, from: SocketAddr) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .peer_addr(from)
        .set_json(json!({"email": email, "password": "not the password"}))
}

#[actix_web::test]
async fn counts_per_client_and_refuses_with_json_429() {
    let app = spawn_with(limited(3, 10)).await;
    for remaining in ["2", "1", "0"] {
        let reply = app.call(get("/api/me", peer(1))).await;
        assert_eq!(reply.status, 401);
        assert_eq!(rate_headers(&reply), (Some("3"), Some(remaining)));
        let reset: u64 = reply.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(
            (now_secs() + 59..=now_secs() + 61).contains(&reset),
            "{reset}"
        );
    }
    let refused = app.call(get("/api/me", peer(1))).await;
    assert_eq!(refused.status, 429);
    assert_eq!(rate_headers(&refused), (Some("3"), Some("0")));
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    let request_id = refused.header("x-request-id").unwrap();
    assert_eq!(
        refused.json(),
        json!({"error": "Too many requests", "request_id": request_id})
    );
    assert_eq!(app.limiter.stats().rejections, 1);

    // Another client has its own budget; paths outside /api are not limited.
    let other = app.call(get("/api/me", peer(2))).await;
    assert_eq!(rate_headers(&other), (Some("3"), Some("2")));
    for _ in 0..5 {
        let health = app.call(get("/health", peer(1))).await;
        assert_eq!(health.status, 200);
        assert_eq!(rate_headers(&health), (None, None));
    }
}

#[actix_web::test]
async fn login_and_register_have_a_stricter_budget() {
    let app = spawn_with(limited(100, 2)).await;
    for remaining in ["1", "0"] {
        let reply = app
            .call(wrong_login("/api/login", "ada@example.com", peer(3)))
            .await;
        reply.error(401, "Invalid credentials");
        assert_eq!(rate_headers(&reply), (Some("2"), Some(remaining)));
    }
    let refused = app
        .call(wrong_login("/api/login", "ada@example.com", peer(3)))
        .await;
    refused.error(429, "Too many requests");
    let register = TestRequest::post().uri("/api/register").peer_addr(peer(3));
    assert_eq!(
        app.call(register).await.status,
        429,
        "one authentication budget for both"
    );
    // Reads still have the general budget: 3 logins and 1 register counted.
    let read = app.call(get("/api/me", peer(3))).await;
    assert_eq!(read.status, 401);
    assert_eq!(rate_headers(&read), (Some("100"), Some("95")));
}

#[actix_web::test]
async fn each_limit_turns_off_on_its_own() {
    // RATE_LIMIT_MAX=0 leaves the login limit on.
    let app = spawn_with(limited(0, 3)).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = app
            .call(wrong_login("/api/login", "ada@example.com", peer(4)))
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    let read = app.call(get("/api/me", peer(4))).await;
    assert_eq!(rate_headers(&read), (None, None), "no general limit");

    // AUTH_RATE_LIMIT_MAX=0 leaves the general limit on.
    let app = spawn_with(limited(3, 0)).await;
    for _ in 0..3 {
        let reply = app
            .call(wrong_login("/api/login", "ada@example.com", peer(4)))
            .await;
        assert_eq!(
            (reply.status.as_u16(), rate_headers(&reply).0),
            (401, Some("3"))
        );
    }
    assert_eq!(
        app.call(wrong_login("/api/login", "ada@example.com", peer(4)))
            .await
            .status,
        429
    );

    // Both off: nothing is counted.
    let app = spawn_with(limited(0, 0)).await;
    for _ in 0..20 {
        let reply = app
            .call(wrong_login("/api/login", "ada@example.com", peer(4)))
            .await;
        assert_eq!(
            (reply.status.as_u16(), rate_headers(&reply)),
            (401, (None, None))
        );
    }
}

/// The router decodes percent-escapes: so do the limits.
#[actix_web::test]
async fn every_spelling_of_the_login_path_counts_against_the_login_limit() {
    let app = spawn_with(limited(100, 3)).await;
    let spellings = [
        "/%61pi/login",
        "/api/logi%6E",
        "/%61%70%69/%6C%6F%67%69%6E",
        "/api/login",
        "/%61pi/login",
        "/api/logi%6E",
        "/%61pi/%6Cogin",
        "/api/login",
    ];
    let mut statuses = Vec::new();
    for uri in spellings {
        let reply = app.call(wrong_login(uri, "ada@example.com", peer(5))).await;
        if reply.status == 401 {
            reply.error(401, "Invalid credentials");
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    // An escaped slash is not a slash: no route, the general limit only.
    let reply = app
        .call(wrong_login("/api%2Flogin", "ada@example.com", peer(6)))
        .await;
    reply.error(404, "Endpoint not found");
    assert_eq!(rate_headers(&reply).0, Some("100"));
}

#[actix_web::test]
async fn failed_logins_are_counted_per_account_whatever_the_address() {
    let app = spawn_with(Setup {
        login_failures_max: 3,
        ..limited(100, 100)
    })
    .await;
    let victim = app.sign_up("victim@example.com").await;
    let bystander = app.sign_up("bystander@example.com").await;
    let mut statuses = Vec::new();
    for n in 0..12u8 {
        // In another letter case too: the account, not the spelling, counts.
        let email = if n % 2 == 0 {
            "victim@example.com"
        } else {
            "VICTIM@example.com"
        };
        let reply = app
            .call(wrong_login("/api/login", email, peer(100 + n)))
            .await;
        statuses.push(reply.status.as_u16());
        if reply.status == 429 {
            let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
            reply.error(429, "Too many requests");
        }
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429, 429, 429, 429, 429, 429, 429, 429]
    );
    // The owner, with the right password, waits for the window too.
    let right = TestRequest::post()
        .uri("/api/login")
        .peer_addr(peer(200))
        .set_json(json!({"email": victim.email, "password": PASSWORD}));
    assert_eq!(app.call(right).await.status, 429);
    // Another account is untouched, and so is an unknown one until it fails.
    let other = TestRequest::post()
        .uri("/api/login")
        .peer_addr(peer(100))
        .set_json(json!({"email": bystander.email, "password": PASSWORD}));
    assert_eq!(app.call(other).await.status, 200);
    let mut unknown = Vec::new();
    for n in 0..4u8 {
        let reply = app
            .call(wrong_login(
                "/api/login",
                "nobody@example.com",
                peer(150 + n),
            ))
            .await;
        unknown.push(reply.status.as_u16());
    }
    assert_eq!(unknown, [401, 401, 401, 429], "no account, same answers");
}

#[actix_web::test]
async fn forwarded_for_counts_only_behind_trusted_proxies() {
    let request = |from: SocketAddr, forwarded: &str| {
        get("/api/me", from).insert_header(("x-forwarded-for", forwarded.to_owned()))
    };
    // Not trusted: the peer is the client, whatever the header says.
    let app = spawn_with(limited(1, 10)).await;
    assert_eq!(app.call(request(peer(5), "1.1.1.1")).await.status, 401);
    assert_eq!(app.call(request(peer(5), "2.2.2.2")).await.status, 429);

    // One trusted proxy: the rightmost entry is the client; what the client
    // wrote to the left of it is ignored.
    let app = spawn_with(Setup {
        trust_proxy_hops: 1,
        ..limited(1, 10)
    })
    .await;
    assert_eq!(
        app.call(request(peer(5), "9.9.9.9, 1.1.1.1")).await.status,
        401
    );
    assert_eq!(app.call(request(peer(5), "2.2.2.2")).await.status, 401);
    assert_eq!(
        app.call(request(peer(6), "8.8.8.8, 1.1.1.1")).await.status,
        429
    );
    // Junk falls back to the peer.
    assert_eq!(app.call(request(peer(7), "junk")).await.status, 401);
    assert_eq!(app.call(request(peer(7), "")).await.status, 429);
}

#[actix_web::test]
async fn head_answers_every_get_route_like_get() {
    let app = spawn_with(Setup::default()).await;
    let ada = app.sign_up("ada@example.com").await;
    for uri in [
        "/health",
        "/health/ready",
        "/api/me",
        "/api/projects",
        "/metrics",
        "/api/openapi.json",
    ] {
        let bearer = format!("Bearer {}", ada.token);
        let get = app
            .call(
                TestRequest::get()
                    .uri(uri)
                    .insert_header(("authorization", bearer.clone())),
            )
            .await;
        let head = app
            .call(
                TestRequest::default()
                    .method(Method::HEAD)
                    .uri(uri)
                    .insert_header(("authorization", bearer)),
            )
            .await;
        assert_eq!(get.status, 200, "{uri}");
        assert_eq!(head.status, get.status, "{uri}");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{uri}"
        );
    }
    let head_login = app
        .call(
            TestRequest::default()
                .method(Method::HEAD)
                .uri("/api/login"),
        )
        .await;
    head_login.error(405, "Method not allowed");
    assert_eq!(head_login.header("allow"), Some("POST"));
    let delete_me = app.call(TestRequest::delete().uri("/api/me")).await;
    assert_eq!(delete_me.header("allow"), Some("GET, HEAD, PATCH"));
}
