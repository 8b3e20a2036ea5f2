//! A deploy drops nothing: SIGTERM under load, on fresh and on keep-alive
//! connections, against the real binary (`TRELLIS_BINARY` to test a release
//! build), `DRAIN_RUNS` times (default 3; CI runs 20 on the release build).
//! Every request written on an established connection must get an HTTP
//! answer; a refused connect is the only failure allowed (every client and
//! balancer retries it), and it is counted apart. Readiness must answer 503
//! as soon as the signal arrives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use support::binary::Trellis;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use trellis_postgres::testkit::TestDatabase;

const SECRET: &str = "drain-tests-secret-that-is-32-bytes-long";
/// Clients on fresh connections, and as many on keep-alive connections.
const CLIENTS: usize = 16;

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    answered: u64,
    refused: u64,
    connect_timeouts: u64,
    /// Requests written on an established connection that got no answer.
    dropped: Vec<String>,
    /// Answers other than 200 (503 while draining is allowed, and counted).
    unavailable: u64,
    other: Vec<String>,
}

/// One response read off `stream`: its status and whether it asks to close.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<(u16, bool), String> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status = head
                .get(9..12)
                .and_then(|code| code.parse().ok())
                .ok_or_else(|| format!("no status line: {head}"))?;
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|value| value.trim().parse().ok())
                .ok_or_else(|| format!("no content-length: {head}"))?;
            let close = head.lines().any(|line| line == "connection: close");
            let total = end + 4 + length;
            while buffer.len() < total {
                read_more(stream, buffer).await?;
            }
            buffer.drain(..total);
            return Ok((status, close));
        }
        read_more(stream, buffer).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut chunk)).await {
        Err(_) => Err("no answer within 20 s".into()),
        Ok(Err(error)) => Err(error.to_string()),
        Ok(Ok(0)) => Err(format!("closed after {} bytes of the answer", buffer.len())),
        Ok(Ok(n)) => {
            buffer.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

/// A client sending `GET /api/projects` until `stop`: on a fresh connection
/// each time, or reusing one until the server asks to close it.
async fn client(addr: SocketAddr, token: String, keep_alive: bool, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut open: Option<(TcpStream, Vec<u8>)> = None;
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let request = format!(
        "GET /api/projects?limit=5 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: {connection}\r\n\r\n"
    );
    while !stop.load(Ordering::Relaxed) {
        let (mut stream, mut buffer) = match open.take() {
            Some(open) => open,
            None => {
                match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                    Ok(Ok(stream)) => (stream, Vec::new()),
                    Ok(Err(_)) => {
                        tally.refused += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    Err(_) => {
                        tally.connect_timeouts += 1;
                        continue;
                    }
                }
            }
        };
        if let Err(error) = stream.write_all(request.as_bytes()).await {
            tally.dropped.push(format!("write: {error}"));
            continue;
        }
        match read_response(&mut stream, &mut buffer).await {
            Ok((200, close)) => {
                tally.answered += 1;
                if keep_alive && !close {
                    open = Some((stream, buffer));
                }
            }
            Ok((503, _)) => tally.unavailable += 1,
            Ok((status, _)) => tally.other.push(status.to_string()),
            Err(why) => tally.dropped.push(why),
        }
    }
    tally
}

/// Polls readiness on fresh connections until it answers 503; when.
async fn readiness_flip(addr: SocketAddr) -> Option<Instant> {
    for _ in 0..2_000 {
        if let Ok(mut stream) = TcpStream::connect(addr).await {
            let head = "GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_ok() {
                let mut buffer = Vec::new();
                if let Ok((503, _)) = read_response(&mut stream, &mut buffer).await {
                    return Some(Instant::now());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

async fn run(n: usize, database: Option<&TestDatabase>) -> (Tally, Duration) {
    let mut vars = vec![
        ("JWT_SECRET", SECRET),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("SHUTDOWN_DELAY_SECS", "1"),
        ("SHUTDOWN_TIMEOUT_SECS", "8"),
        ("KEEP_ALIVE_SECS", "5"),
    ];
    if let Some(database) = database {
        vars.push(("DATABASE_URL", database.url()));
    }
    let mut trellis = Trellis::spawn(&vars);
    trellis
        .wait_for("/health/ready", Duration::from_secs(20))
        .await;
    let addr = trellis.addr();
    let email = format!("drain-{n}@example.com");
    let body = format!(r#"{{"email":"{email}","password":"correct horse","full_name":"Drain"}}"#);
    let (status, answer) = support::raw::request(addr, "POST", "/api/register", None, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    let token = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2 * CLIENTS)
        .map(|i| tokio::spawn(client(addr, token.clone(), i % 2 == 1, Arc::clone(&stop))))
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let flip = tokio::spawn(readiness_flip(addr));
    let signalled = Instant::now();
    trellis.terminate();
    let flipped = flip.await.unwrap().expect("readiness never answered 503");
    let exit = tokio::task::spawn_blocking(move || {
        let status = trellis.wait_exit(Duration::from_secs(30));
        (status, trellis)
    });
    let (status, trellis) = exit.await.unwrap();
    // Clients keep trying for a moment after the exit: only refusals now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for client in clients {
        let tally = client.await.unwrap();
        total.answered += tally.answered;
        total.refused += tally.refused;
        total.connect_timeouts += tally.connect_timeouts;
        total.unavailable += tally.unavailable;
        total.dropped.extend(tally.dropped);
        total.other.extend(tally.other);
    }
    assert_eq!(status.code(), Some(0), "exit status");
    drop(trellis);
    (total, flipped - signalled)
}

#[actix_web::test]
async fn sigterm_under_load_drops_no_request_sent_on_an_established_connection() {
    let runs: usize = std::env::var("DRAIN_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(3);
    let database = TestDatabase::create().await;
    let mut flips = Vec::new();
    let mut failures = Vec::new();
    let (mut answered, mut refused, mut timeouts, mut unavailable, mut dropped) = (0, 0, 0, 0, 0);
    for n in 0..runs {
        let store = if n % 2 == 1 { Some(&database) } else { None };
        let (tally, flip) = run(n, store).await;
        eprintln!(
            "run {n:>2} ({}): {} answered, {} unavailable, {} connects refused, {} connect timeouts, \
             {} dropped after connect, {} other; readiness 503 after {flip:?}",
            if store.is_some() {
                "postgres"
            } else {
                "memory"
            },
            tally.answered,
            tally.unavailable,
            tally.refused,
            tally.connect_timeouts,
            tally.dropped.len(),
            tally.other.len(),
        );
        answered += tally.answered;
        refused += tally.refused;
        timeouts += tally.connect_timeouts;
        unavailable += tally.unavailable;
        dropped += tally.dropped.len();
        flips.push(flip);
        if !tally.dropped.is_empty() || !tally.other.is_empty() {
            failures.push(format!(
                "run {n}: dropped {:?}, other {:?}",
                tally.dropped, tally.other
            ));
        }
    }
    flips.sort();
    eprintln!(
        "{runs} runs: {answered} answered, {unavailable} unavailable, {refused} connects refused, \
         {timeouts} connect timeouts, {dropped} dropped after connect; SIGTERM to readiness 503: \
         median {:?}, worst {:?}",
        flips[flips.len() / 2],
        flips[flips.len() - 1]
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(flips[flips.len() - 1] < Duration::from_millis(500));
}
