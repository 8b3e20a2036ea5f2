//! Abuse at the socket, on the real binary: ten thousand connections that
//! sit idle, before and after a request, neither keep a newcomer from being
//! served nor make the process balloon.
//!
//! The server's timeouts are raised above the test's length so that every
//! connection is held open at once (the worst case for memory); the
//! timeouts that close idle connections are tested in `resilience.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use support::{binary::Trellis, raw};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Connections held open at once (the process's fd limit here is 20,000,
/// the test's and the server's each).
const CONNECTIONS: usize = 10_000;
/// Bound on the server's peak resident memory per connection held, over
/// the whole test. actix allocates an 8 KiB read and an 8 KiB write buffer
/// for every connection as it is accepted: measured here, about 11 KiB per
/// idle connection and 16 KiB per kept-alive one.
const PER_CONNECTION_BOUND_KB: u64 = 24;
/// Bound on opening all the connections: a listen backlog that is too short
/// makes the kernel drop SYNs, each costing its client a one-second retry
/// (with the standard library's 128 this took 8 to 20 s here).
const OPENING_BOUND: Duration = Duration::from_secs(5);

/// The process's peak resident set size (`VmHWM`), in KiB.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// `CONNECTIONS` open connections to `target`, opened one after the other
/// within [`OPENING_BOUND`].
async fn open(target: SocketAddr) -> Vec<TcpStream> {
    let started = Instant::now();
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        streams.push(TcpStream::connect(target).await.unwrap());
    }
    let took = started.elapsed();
    eprintln!("{CONNECTIONS} connections opened in {took:?}");
    assert!(
        took < OPENING_BOUND,
        "opening {CONNECTIONS} connections took {took:?}"
    );
    streams
}

/// Reads one whole answer (head and `Content-Length` body) from a kept-alive
/// connection and returns its status code.
async fn read_answer(stream: &mut TcpStream) -> u16 {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= length {
                return head[9..12].parse().unwrap();
            }
        }
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "connection closed mid-answer: {text}");
        answer.extend_from_slice(&chunk[..read]);
    }
}

/// A request on a new connection is answered within a second.
async fn newcomer_is_served(target: SocketAddr, after: &str) {
    let started = Instant::now();
    let (status, body) = raw::request(target, "GET", "/health", None, None)
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("{after}: a new request answered {status} in {took:?}");
    assert_eq!(status, 200, "{body}");
    assert!(
        took < Duration::from_secs(1),
        "{after}: answered after {took:?}"
    );
}

#[actix_web::test]
async fn ten_thousand_idle_connections_neither_starve_newcomers_nor_bloat_memory() {
    let trellis = Trellis::spawn(&[
        ("CLIENT_REQUEST_TIMEOUT_MS", "60000"),
        ("KEEP_ALIVE_SECS", "60"),
        ("RATE_LIMIT_MAX", "0"),
    ]);
    trellis.wait_for("/health", Duration::from_secs(5)).await;
    let target = trellis.addr();
    let at_start = peak_rss_kb(trellis.pid());
    eprintln!("peak RSS at start: {at_start} KiB");

    // Connections that never send a byte.
    let idle = open(target).await;
    newcomer_is_served(target, "10,000 idle connections").await;
    let after_idle = peak_rss_kb(trellis.pid());
    eprintln!("peak RSS with {CONNECTIONS} idle connections: {after_idle} KiB");
    drop(idle);

    // Connections that each had one request answered, then stay idle.
    let started = Instant::now();
    let mut kept = open(target).await;
    for stream in &mut kept {
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: trellis\r\n\r\n")
            .await
            .unwrap();
    }
    for stream in &mut kept {
        assert_eq!(read_answer(stream).await, 200);
    }
    eprintln!(
        "{CONNECTIONS} kept-alive connections served once in {:?}",
        started.elapsed()
    );
    newcomer_is_served(target, "10,000 kept-alive idle connections").await;
    let peak = peak_rss_kb(trellis.pid());
    eprintln!("peak RSS with {CONNECTIONS} kept-alive connections: {peak} KiB");
    drop(kept);

    let per_connection = (peak - at_start) / CONNECTIONS as u64;
    eprintln!("peak RSS growth per connection: {per_connection} KiB");
    assert!(
        per_connection <= PER_CONNECTION_BOUND_KB,
        "{per_connection} KiB per connection (peak {peak} KiB, {at_start} KiB at start)"
    );
}
