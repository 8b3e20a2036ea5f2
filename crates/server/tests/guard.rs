//! The holes a hostile client looks for, probed on the real binary over
//! real sockets: every spelling of the login path is limited, limits hold
//! when Redis fails, each limit turns off alone, TLS follows the URL's
//! `sslmode`, clients that hang up are not hashed for, `HEAD` works, and a
//! database failure's row never reaches the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::{binary::Trellis, free_port, raw};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use trellis_postgres::testkit::TestDatabase;

const SECRET: &str = "guard-tests-secret-that-is-32-bytes-long";

/// Sends a wrong login for `email` to `path`; the status.
async fn wrong_login(trellis: &Trellis, path: &str, email: &str) -> u16 {
    let body = format!(r#"{{"email":"{email}","password":"not the password"}}"#);
    raw::request(trellis.addr(), "POST", path, None, Some(&body))
        .await
        .unwrap()
        .0
}

async fn statuses(trellis: &Trellis, path: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(wrong_login(trellis, path, "ada@example.com").await);
    }
    statuses
}

const THREE_THEN_REFUSED: [u16; 8] = [401, 401, 401, 429, 429, 429, 429, 429];

#[actix_web::test]
async fn every_spelling_of_login_counts_and_each_limit_turns_off_alone() {
    for path in ["/%61pi/login", "/api/logi%6E", "/api/login"] {
        let trellis = Trellis::spawn(&[("JWT_SECRET", SECRET), ("AUTH_RATE_LIMIT_MAX", "3")]);
        trellis.wait_for("/health", Duration::from_secs(5)).await;
        let seen = statuses(&trellis, path, 8).await;
        eprintln!("AUTH_RATE_LIMIT_MAX=3, 8 wrong logins to {path}: {seen:?}");
        assert_eq!(seen, THREE_THEN_REFUSED, "{path}");
    }
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("AUTH_RATE_LIMIT_MAX", "3"),
        ("RATE_LIMIT_MAX", "0"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let seen = statuses(&trellis, "/api/login", 8).await;
    eprintln!("RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=3, 8 wrong logins: {seen:?}");
    assert_eq!(seen, THREE_THEN_REFUSED);
}

#[actix_web::test]
async fn one_account_is_throttled_whoever_asks() {
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("LOGIN_FAILURES_MAX", "10"),
        ("AUTH_RATE_LIMIT_MAX", "100"),
        ("TRUST_PROXY_HOPS", "1"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let mut seen = Vec::new();
    // Twelve addresses, as a proxy reports them, one account.
    for n in 0..12u8 {
        let body = r#"{"email":"victim@example.com","password":"not the password"}"#;
        let mut stream = TcpStream::connect(trellis.addr()).await.unwrap();
        let head = format!(
            "POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: 198.51.100.{n}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        seen.push(answer[9..12].parse::<u16>().unwrap());
    }
    eprintln!("LOGIN_FAILURES_MAX=10, 12 addresses against one account: {seen:?}");
    assert_eq!(seen[..10], [401; 10]);
    assert_eq!(seen[10..], [429, 429]);
}

/// A Redis of our own, to stop and start.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("redis-server cannot start ({e}): apt-get install -y redis-server")
            });
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[actix_web::test]
async fn limits_hold_while_redis_is_down_and_go_back_to_it() {
    // A Redis that never answers: the limit is counted in memory.
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("AUTH_RATE_LIMIT_MAX", "3"),
        ("REDIS_URL", "redis://127.0.0.1:1"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let seen = statuses(&trellis, "/api/login", 8).await;
    eprintln!("REDIS_URL unreachable, AUTH_RATE_LIMIT_MAX=3, 8 wrong logins: {seen:?}");
    assert_eq!(seen, THREE_THEN_REFUSED);
    drop(trellis);

    // A Redis that is stopped and started again under a running instance.
    let port = free_port();
    let redis = OwnRedis::start(port);
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("AUTH_RATE_LIMIT_MAX", "3"),
        ("REDIS_URL", &format!("redis://127.0.0.1:{}", redis.port)),
        ("RUST_LOG", "warn"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let before = statuses(&trellis, "/api/login", 2).await;
    drop(redis);
    let during = statuses(&trellis, "/api/login", 6).await;
    let metrics = reqwest_text(&trellis, "/metrics").await;
    assert!(
        metrics.contains("\nrate_limit_fallback_active 1\n"),
        "{metrics}"
    );
    let redis = OwnRedis::start(port);
    tokio::time::sleep(trellis_redis::PAUSE_AFTER_FAILURE + Duration::from_millis(200)).await;
    let after = statuses(&trellis, "/api/login", 5).await;
    eprintln!(
        "AUTH_RATE_LIMIT_MAX=3 with Redis up {before:?}, stopped {during:?}, restarted {after:?}"
    );
    assert_eq!(before, [401, 401]);
    assert_eq!(
        during,
        [401, 401, 401, 429, 429, 429],
        "memory counts while Redis is down"
    );
    assert_eq!(
        after,
        [401, 401, 401, 429, 429],
        "a fresh Redis counts again"
    );
    let metrics = reqwest_text(&trellis, "/metrics").await;
    assert!(
        metrics.contains("\nrate_limit_fallback_active 0\n"),
        "{metrics}"
    );
    let log = std::fs::read_to_string(&trellis.log).unwrap();
    let warned = log
        .lines()
        .filter(|line| line.contains("rate-limit store unavailable"))
        .count();
    assert_eq!(warned, 1, "one warning per outage:\n{log}");
    drop(redis);
}

async fn reqwest_text(trellis: &Trellis, path: &str) -> String {
    raw::request(trellis.addr(), "GET", path, None, None)
        .await
        .unwrap()
        .1
}

/// What PostgreSQL says of the binary's connections to `database`.
async fn tls_of_connections(database: &TestDatabase) -> Vec<bool> {
    database
        .client()
        .await
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1 AND a.application_name = 'trellis'",
            &[&database.name()],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[actix_web::test]
async fn tls_follows_the_sslmode_of_the_url() {
    let database = TestDatabase::create().await;
    let addr = database.server_addr();
    for (mode, expected) in [("require", true), ("prefer", true), ("disable", false)] {
        let url = format!(
            "postgres://postgres@{}:{}/{}?sslmode={mode}",
            addr.ip(),
            addr.port(),
            database.name()
        );
        let trellis = Trellis::spawn(&[("JWT_SECRET", SECRET), ("DATABASE_URL", &url)]);
        let (status, _) = trellis
            .wait_for("/health/ready", Duration::from_secs(10))
            .await;
        assert_eq!(status, 200);
        let tls = tls_of_connections(&database).await;
        eprintln!("DATABASE_URL …?sslmode={mode}, DB_SSLMODE unset: pg_stat_ssl.ssl = {tls:?}");
        assert!(
            !tls.is_empty() && tls.iter().all(|ssl| *ssl == expected),
            "{mode}: {tls:?}"
        );
        drop(trellis);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let url = format!(
        "postgres://postgres@{}:{}/{}?sslmode=verify-full",
        addr.ip(),
        addr.port(),
        database.name()
    );
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", &url),
        ("RUN_MIGRATIONS", "false"),
    ]);
    let (status, _) = trellis
        .wait_for("/health/ready", Duration::from_secs(15))
        .await;
    eprintln!(
        "sslmode=verify-full against a self-signed certificate for another name: /health/ready {status}"
    );
    assert_eq!(status, 503, "verify-full refuses the certificate");
}

/// Opens a login whose client hangs up after `after`.
async fn abandoned_login(trellis: &Trellis, after: Duration) {
    let body = r#"{"email":"ada@example.com","password":"not the password"}"#;
    let mut stream = TcpStream::connect(trellis.addr()).await.unwrap();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(after).await;
}

#[actix_web::test]
async fn clients_that_hang_up_are_not_hashed_for() {
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("BCRYPT_COST", "12"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(10)).await;
    let register =
        r#"{"email":"real@example.com","password":"correct horse battery","full_name":"Real"}"#;
    let (status, _) = raw::request(
        trellis.addr(),
        "POST",
        "/api/register",
        None,
        Some(register),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let login = r#"{"email":"real@example.com","password":"correct horse battery"}"#;
    let started = Instant::now();
    raw::request(trellis.addr(), "POST", "/api/login", None, Some(login))
        .await
        .unwrap();
    let alone = started.elapsed();
    for abandoned in [64, 10] {
        futures_util::future::join_all(
            (0..abandoned).map(|_| abandoned_login(&trellis, Duration::from_millis(50))),
        )
        .await;
        // The server notices the hang-ups within a few milliseconds.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let (status, _) = raw::request(trellis.addr(), "POST", "/api/login", None, Some(login))
            .await
            .unwrap();
        let took = started.elapsed();
        eprintln!(
            "a real login 100 ms after {abandoned} logins whose clients hung up after 50 ms: {status} in {took:?} \
             (alone: {alone:?})"
        );
        assert_eq!(status, 200);
        assert!(
            took < alone * 3 + Duration::from_millis(300),
            "{took:?} vs {alone:?} alone"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let trellis = Trellis::spawn(&[("JWT_SECRET", SECRET)]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let addr = trellis.addr();
    for path in ["/health", "/api/openapi.json", "/metrics"] {
        let answer = async |method: &str| {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.unwrap();
            String::from_utf8_lossy(&raw).into_owned()
        };
        let get = answer("GET").await;
        let head = answer("HEAD").await;
        let (get_head, get_body) = get.split_once("\r\n\r\n").unwrap();
        let (head_head, head_body) = head.split_once("\r\n\r\n").unwrap();
        assert!(head_head.starts_with("HTTP/1.1 200"), "{head_head}");
        assert_eq!(head_body, "", "HEAD {path} has no body");
        let length = |head: &str| {
            head.lines().find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_owned)
            })
        };
        // The uptime and the counters change between the two requests.
        if path == "/api/openapi.json" {
            assert_eq!(length(head_head), length(get_head), "{path}");
            assert_eq!(length(get_head), Some(get_body.len().to_string()), "{path}");
        }
        assert!(length(head_head).is_some(), "{path}: {head_head}");
        let content_type = |head: &str| {
            head.lines()
                .find(|line| line.to_ascii_lowercase().starts_with("content-type:"))
                .map(str::to_owned)
        };
        assert_eq!(content_type(head_head), content_type(get_head), "{path}");
    }
}

#[actix_web::test]
async fn a_database_failure_logs_its_sqlstate_never_the_row() {
    let database = TestDatabase::create().await;
    database
        .client()
        .await
        .batch_execute(
            "ALTER TABLE projects ADD CONSTRAINT no_canaries CHECK (name <> 'Canary Project Name')",
        )
        .await
        .unwrap();
    let trellis = Trellis::spawn(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", database.url()),
        ("RUST_LOG", "trace"),
        ("BCRYPT_COST", "10"),
    ]);
    trellis
        .wait_for("/health/ready", Duration::from_secs(10))
        .await;
    let register =
        r#"{"email":"canary@example.com","password":"correct horse battery","full_name":"Canary"}"#;
    let (status, body) = raw::request(
        trellis.addr(),
        "POST",
        "/api/register",
        None,
        Some(register),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let project = r#"{"name":"Canary Project Name","description":"canary description text"}"#;
    let (status, body) = raw::request(
        trellis.addr(),
        "POST",
        "/api/projects",
        Some(&token),
        Some(project),
    )
    .await
    .unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(
        !body.contains("Canary") && !body.contains("23514"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(&trellis.log).unwrap();
    let failures: Vec<&str> = log.lines().filter(|line| line.contains("23514")).collect();
    assert_eq!(failures.len(), 1, "logged once:\n{}", failures.join("\n"));
    assert!(
        failures[0].contains("no_canaries") && failures[0].contains("projects"),
        "{}",
        failures[0]
    );
    for secret in [
        "Canary Project Name",
        "canary description",
        "Failing row",
        "DETAIL",
        &token,
    ] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
}
