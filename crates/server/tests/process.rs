//! The real `trellis` binary as an operator runs it: start-up with and
//! without a database, refusing bad configuration, readiness through a
//! database outage, graceful shutdown, and two instances migrating at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use awc::http::StatusCode;
use futures_util::future::join_all;
use serde_json::Value;
use std::{
    process::Command,
    time::{Duration, Instant},
};
use support::{
    binary::Trellis,
    proxy::{FaultProxy, Mode},
};
use trellis_postgres::testkit::TestDatabase;

#[actix_web::test]
async fn with_no_configuration_it_serves_health_within_two_seconds() {
    let started = Instant::now();
    let trellis = Trellis::spawn(&[]);
    let (status, body) = trellis.wait_for("/health", Duration::from_secs(2)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert!(body["uptime"].is_number());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let (status, body) = trellis
        .wait_for("/health/ready", Duration::from_secs(1))
        .await;
    assert_eq!(
        (status, body["database"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
}

#[test]
fn bad_configuration_stops_with_one_line_and_exit_code_2() {
    for (vars, variable) in [
        (&[("PORT", "eighty")][..], "PORT"),
        (&[("APP_ENV", "production")][..], "DATABASE_URL"),
        (
            &[
                ("APP_ENV", "production"),
                ("DATABASE_URL", "postgres://x@127.0.0.1/x"),
                ("JWT_SECRET", "short"),
            ][..],
            "JWT_SECRET",
        ),
        (&[("BCRYPT_COST", "9")][..], "BCRYPT_COST"),
        (
            &[
                ("DB_SSLMODE", "sometimes"),
                ("DATABASE_URL", "postgres://x@127.0.0.1/x"),
            ][..],
            "DB_SSLMODE",
        ),
        (
            &[
                ("DB_SSLMODE", "disable"),
                ("DATABASE_URL", "postgres://x@127.0.0.1/x?sslmode=require"),
            ][..],
            "sslmode=require",
        ),
        (
            &[(
                "JWT_SECRET",
                "a-secret-of-more-than-32-bytes-and-a-newline\n",
            )][..],
            "white space",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_trellis"))
            .env_clear()
            .envs(vars.iter().copied())
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{vars:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{vars:?}: {stderr}");
        assert!(stderr.contains(variable), "{vars:?}: {stderr}");
    }
}

#[actix_web::test]
async fn readiness_follows_the_database_through_an_outage() {
    let database = TestDatabase::create().await;
    let proxy = FaultProxy::start(database.server_addr());
    let url = database.url_via(proxy.addr());
    let trellis = Trellis::spawn(&[
        ("DATABASE_URL", &url),
        ("DB_CONNECT_TIMEOUT_SECS", "2"),
        ("DB_QUERY_TIMEOUT_SECS", "2"),
    ]);
    let (status, _) = trellis
        .wait_for("/health/ready", Duration::from_secs(10))
        .await;
    assert_eq!(status, StatusCode::OK);

    for fault in [Mode::Cut, Mode::Blackhole] {
        proxy.set(fault);
        let started = Instant::now();
        let (status, body) = trellis
            .wait_for("/health/ready", Duration::from_secs(10))
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{fault:?}: {body}");
        assert_eq!(body["database"], "unreachable");
        assert!(
            started.elapsed() <= Duration::from_millis(2500),
            "{fault:?}: took {:?}",
            started.elapsed()
        );
        let (status, _) = trellis.wait_for("/health", Duration::from_secs(1)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "liveness does not depend on the database"
        );

        proxy.set(Mode::Forward);
        let started = Instant::now();
        loop {
            let (status, _) = trellis
                .wait_for("/health/ready", Duration::from_secs(5))
                .await;
            if status == StatusCode::OK {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{fault:?}: not ready again"
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[actix_web::test]
async fn two_instances_migrate_one_empty_database_at_once() {
    let database = TestDatabase::create_empty().await;
    let first = Trellis::spawn(&[("DATABASE_URL", database.url())]);
    let second = Trellis::spawn(&[("DATABASE_URL", database.url())]);
    for trellis in [&first, &second] {
        let (status, body) = trellis
            .wait_for("/health/ready", Duration::from_secs(20))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        database.applied_migrations().await,
        TestDatabase::embedded_migrations().len()
    );
}

const SECRET: &str = "process-tests-secret-that-is-32-bytes-long";

fn shared_settings(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", SECRET),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
    ]
}

#[actix_web::test]
async fn sigterm_under_load_completes_accepted_requests_and_another_instance_takes_over() {
    use support::raw::{self, RawError};
    let database = TestDatabase::create().await;
    let mut first = Trellis::spawn(&shared_settings(database.url()));
    let second = Trellis::spawn(&shared_settings(database.url()));
    for trellis in [&first, &second] {
        assert_eq!(
            trellis
                .wait_for("/health/ready", Duration::from_secs(20))
                .await
                .0,
            StatusCode::OK
        );
    }
    let (first_addr, second_addr) = (first.addr(), second.addr());
    let body = r#"{"email":"ada@example.com","password":"correct horse","full_name":"Ada"}"#;
    let (status, answer) = raw::request(first_addr, "POST", "/api/register", None, Some(body))
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    let token = serde_json::from_str::<Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(3);
    let clients = (0..64).map(|client| {
        let token = token.clone();
        async move {
            let (mut created, mut dropped, mut other, mut target) =
                (0u32, Vec::new(), Vec::new(), first_addr);
            let mut n = 0;
            let mut unaccepted = Vec::new();
            while Instant::now() < deadline {
                let body = format!(r#"{{"name":"client {client} project {n}"}}"#);
                match raw::request(target, "POST", "/api/projects", Some(&token), Some(&body)).await
                {
                    Ok((201, _)) => {
                        created += 1;
                        n += 1;
                    }
                    Ok((status, body)) => other.push(format!("{status} {body}")),
                    Err(RawError::Refused) => target = second_addr,
                    // The drain leaves no connection in the accept queue to be
                    // reset when the listener closes: any such reset fails.
                    Err(RawError::Dropped(why))
                        if target == first_addr
                            && (why.contains("0 bytes") || why.contains("reset")) =>
                    {
                        unaccepted.push(why);
                        target = second_addr;
                    }
                    Err(RawError::Dropped(why)) => dropped.push(why),
                }
            }
            (created, dropped, other, unaccepted.len())
        }
    });
    let terminate = async {
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        first.terminate();
    };
    let (results, ()) = futures_util::future::join(join_all(clients), terminate).await;
    let created: u32 = results.iter().map(|r| r.0).sum();
    let dropped: Vec<_> = results.iter().flat_map(|r| r.1.clone()).collect();
    let other: Vec<_> = results.iter().flat_map(|r| r.2.clone()).collect();
    let unaccepted: usize = results.iter().map(|r| r.3).sum();
    eprintln!(
        "SIGTERM under load: {created} created, {unaccepted} reset in the accept queue, {} dropped, {} other",
        dropped.len(),
        other.len()
    );
    assert!(
        dropped.is_empty(),
        "accepted requests were dropped: {dropped:?}"
    );
    assert_eq!(unaccepted, 0, "connections reset in the accept queue");
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    let status = first.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));

    let (status, answer) = raw::request(
        second_addr,
        "GET",
        "/api/projects?limit=1",
        Some(&token),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let total = serde_json::from_str::<Value>(&answer).unwrap()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(
        total,
        u64::from(created),
        "rows in the database against 201 answers"
    );
}

#[actix_web::test]
async fn two_instances_serve_one_user_consistently() {
    use support::raw;
    let database = TestDatabase::create().await;
    let instances = [
        Trellis::spawn(&shared_settings(database.url())),
        Trellis::spawn(&shared_settings(database.url())),
    ];
    for trellis in &instances {
        assert_eq!(
            trellis
                .wait_for("/health/ready", Duration::from_secs(20))
                .await
                .0,
            StatusCode::OK
        );
    }
    let addrs = [instances[0].addr(), instances[1].addr()];
    let body = r#"{"email":"ada@example.com","password":"correct horse","full_name":"Ada"}"#;
    let (_, answer) = raw::request(addrs[0], "POST", "/api/register", None, Some(body))
        .await
        .unwrap();
    let token = serde_json::from_str::<Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..20 {
        let (writer, reader) = (addrs[n % 2], addrs[(n + 1) % 2]);
        let body = format!(r#"{{"name":"project {n}"}}"#);
        let (status, answer) =
            raw::request(writer, "POST", "/api/projects", Some(&token), Some(&body))
                .await
                .unwrap();
        assert_eq!(status, 201, "{answer}");
        let id = serde_json::from_str::<Value>(&answer).unwrap()["project"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let patch = format!(r#"{{"status":"completed","description":"seen by {n}"}}"#);
        let (status, _) = raw::request(
            reader,
            "PATCH",
            &format!("/api/projects/{id}"),
            Some(&token),
            Some(&patch),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        let (status, answer) = raw::request(
            writer,
            "GET",
            &format!("/api/projects/{id}"),
            Some(&token),
            None,
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        let project = &serde_json::from_str::<Value>(&answer).unwrap()["project"];
        assert_eq!(project["status"], "completed");
        assert_eq!(project["name"], format!("project {n}"));
        assert_eq!(project["description"], format!("seen by {n}"));
        let (_, answer) = raw::request(reader, "GET", "/api/projects?limit=1", Some(&token), None)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&answer).unwrap()["total"],
            n + 1
        );
    }
}

#[actix_web::test]
async fn no_password_hash_or_token_reaches_the_logs_even_at_trace_level() {
    use support::raw;
    let database = TestDatabase::create().await;
    let mut settings = shared_settings(database.url());
    settings.push(("RUST_LOG", "trace"));
    let mut trellis = Trellis::spawn(&settings);
    assert_eq!(
        trellis
            .wait_for("/health/ready", Duration::from_secs(20))
            .await
            .0,
        StatusCode::OK
    );
    let target = trellis.addr();
    let password = "correct horse battery";
    let register =
        format!(r#"{{"email":"ada@example.com","password":"{password}","full_name":"Ada"}}"#);
    let (status, answer) = raw::request(target, "POST", "/api/register", None, Some(&register))
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    let token = serde_json::from_str::<Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = raw::request(target, "POST", "/api/register", None, Some(&register))
        .await
        .unwrap();
    assert_eq!(status, 409, "a failing registration");
    let short = r#"{"email":"bad","password":"short-pw","full_name":""}"#;
    let (status, _) = raw::request(target, "POST", "/api/register", None, Some(short))
        .await
        .unwrap();
    assert_eq!(status, 400, "an invalid registration");
    let login = format!(r#"{{"email":"ada@example.com","password":"{password}"}}"#);
    let (status, _) = raw::request(target, "POST", "/api/login", None, Some(&login))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let wrong = r#"{"email":"ada@example.com","password":"wrong password"}"#;
    let (status, _) = raw::request(target, "POST", "/api/login", None, Some(wrong))
        .await
        .unwrap();
    assert_eq!(status, 401);
    let (status, _) = raw::request(target, "GET", "/api/me", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(status, 200);

    trellis.terminate();
    assert_eq!(trellis.wait_exit(Duration::from_secs(10)).code(), Some(0));
    let log = std::fs::read_to_string(&trellis.log).unwrap();
    assert!(
        log.lines().count() > 10,
        "trace logging produced too little to prove anything:\n{log}"
    );
    assert!(log.contains("/api/register"), "the requests were logged");
    for secret in [
        password,
        "short-pw",
        "wrong password",
        "$2b$",
        token.as_str(),
        SECRET,
    ] {
        assert!(!log.contains(secret), "{secret:?} appears in the log");
    }
}
