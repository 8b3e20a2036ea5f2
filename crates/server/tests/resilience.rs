//! What happens when the things around trellis fail: a saturated pool, a
//! restart under load, two instances on one database, abusive sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use futures_util::future::join_all;
use serde_json::json;
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    time::{Duration, Instant},
};
use support::{
    TestApp,
    proxy::Mode,
    raw::{self, RawError},
};

fn addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

#[actix_web::test]
async fn a_saturated_pool_answers_503_in_time_never_hangs() {
    let (app, proxy) = TestApp::behind_proxy(&[
        ("DB_POOL_MAX", "2"),
        ("DB_CONNECT_TIMEOUT_SECS", "1"),
        ("DB_QUERY_TIMEOUT_SECS", "3"),
    ])
    .await;
    let (token, _) = app.register("ada@example.com").await;
    proxy.set(Mode::Slow(Duration::from_millis(150)));

    let target = addr(&app.base);
    let requests = (0..64).map(|_| {
        let token = token.clone();
        async move {
            let started = Instant::now();
            let answer = raw::request(target, "GET", "/api/me", Some(&token), None).await;
            (answer, started.elapsed())
        }
    });
    let answers = join_all(requests).await;
    let mut by_status = BTreeMap::new();
    for (answer, took) in &answers {
        let (status, body) = answer.as_ref().expect("every request gets an answer");
        *by_status.entry(*status).or_insert(0) += 1;
        assert!(matches!(status, 200 | 503), "{status} {body}");
        if *status == 503 {
            assert!(body.contains("Service unavailable"), "{body}");
        }
        assert!(*took < Duration::from_secs(6), "a request took {took:?}");
    }
    eprintln!("pool of 2, 64 slow requests: {by_status:?}");
    assert!(
        by_status.get(&200).copied().unwrap_or(0) >= 2,
        "{by_status:?}"
    );
    assert!(
        by_status.get(&503).copied().unwrap_or(0) >= 1,
        "{by_status:?}"
    );

    proxy.set(Mode::Forward);
    let (status, _) = raw::request(target, "GET", "/api/me", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(
        status, 200,
        "back to normal once the database is fast again"
    );
}

#[actix_web::test]
async fn a_database_outage_is_503_and_recovery_needs_no_restart() {
    let (app, proxy) = TestApp::behind_proxy(&[
        ("DB_CONNECT_TIMEOUT_SECS", "2"),
        ("DB_QUERY_TIMEOUT_SECS", "2"),
    ])
    .await;
    let (token, _) = app.register("ada@example.com").await;
    let target = addr(&app.base);
    for fault in [Mode::Cut, Mode::Blackhole] {
        proxy.set(fault);
        let answers = join_all((0..16).map(|n| {
            let token = token.clone();
            async move {
                let started = Instant::now();
                let answer = if n % 2 == 0 {
                    raw::request(target, "GET", "/api/projects", Some(&token), None).await
                } else {
                    raw::request(
                        target,
                        "POST",
                        "/api/projects",
                        Some(&token),
                        Some(r#"{"name":"x"}"#),
                    )
                    .await
                };
                (answer.unwrap(), started.elapsed())
            }
        }))
        .await;
        for ((status, body), took) in &answers {
            assert_eq!(*status, 503, "{fault:?}: {body}");
            assert!(
                *took <= Duration::from_millis(4500),
                "{fault:?}: took {took:?}"
            );
        }
        let (status, _) = raw::request(target, "GET", "/health", None, None)
            .await
            .unwrap();
        assert_eq!(status, 200);

        proxy.set(Mode::Forward);
        let started = Instant::now();
        loop {
            let (status, _) = raw::request(target, "GET", "/api/projects", Some(&token), None)
                .await
                .unwrap();
            if status == 200 {
                break;
            }
            assert_eq!(status, 503);
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{fault:?}: no recovery"
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!(
            "{fault:?}: recovered {:?} after the line came back",
            started.elapsed()
        );
    }
}

#[actix_web::test]
async fn slow_clients_oversized_headers_and_idle_connections() {
    let app = TestApp::start(&[("CLIENT_REQUEST_TIMEOUT_MS", "1000")], None).await;
    let target = addr(&app.base);

    // A client trickling its headers is cut off by the request timeout.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(target).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let mut closed = false;
    for _ in 0..20 {
        if slow.write_all(b"X-Slow: a\r\n").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(250), slow.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                assert!(text.starts_with("HTTP/1.1 408"), "{text}");
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    assert!(closed, "a trickling client was never cut off");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut off after {:?}",
        started.elapsed()
    );

    // Headers over actix's limit (128 KiB of request head): 431.
    let huge = "a".repeat(200 * 1024);
    let mut stream = tokio::net::TcpStream::connect(target).await.unwrap();
    let request =
        format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: {huge}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 431"), "{text:.200}");

    // Thousands of idle connections do not keep others from being served.
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        idle.push(tokio::net::TcpStream::connect(target).await.unwrap());
    }
    let started = Instant::now();
    let (status, _) = raw::request(target, "GET", "/health", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "served after {:?}",
        started.elapsed()
    );
    drop(idle);
    assert!(matches!(
        raw::request(target, "GET", "/health", None, None).await,
        Ok((200, _)) | Err(RawError::Dropped(_))
    ));
}

#[actix_web::test]
async fn concurrent_patches_of_one_project_lose_no_field() {
    let app = TestApp::postgres().await;
    let (token, _) = app.register("ada@example.com").await;
    let target = addr(&app.base);
    let (_, body) = raw::request(
        target,
        "POST",
        "/api/projects",
        Some(&token),
        Some(r#"{"name":"Engine"}"#),
    )
    .await
    .unwrap();
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/projects/{id}");
    let patches = (0..32).map(|n| {
        let body = match n % 3 {
            0 => json!({"name": format!("name {n}")}),
            1 => json!({"description": format!("description {n}")}),
            _ => json!({"budget": n + 1}),
        }
        .to_string();
        let (token, path) = (token.clone(), path.clone());
        async move {
            raw::request(target, "PATCH", &path, Some(&token), Some(&body))
                .await
                .unwrap()
                .0
        }
    });
    assert!(join_all(patches).await.iter().all(|status| *status == 200));
    let project = &app.get(&path, Some(&token)).await.body["project"];
    assert_ne!(project["name"], "Engine");
    assert!(project["description"].is_string());
    assert!(project["budget"].is_number());
}
