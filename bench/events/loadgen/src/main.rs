//! A compiled load client for the event streams: what `bench.py latency`
//! does, fast enough to keep up at 1,000 writes/s.
//!
//! ```text
//! trellis-events-loadgen --write http://127.0.0.1:3101 --read http://127.0.0.1:3102 \
//!     [--owners 100] [--per-owner 10] [--rate 1000] [--seconds 20] [--warmup 3] \
//!     [--writers 32] [--drain 5] [--pid NAME=PID ...] [--hook-at SECS --hook CMD] [--timeline]
//! ```
//!
//! It signs up `--owners` users on `--write`, opens `--per-owner` SSE streams
//! per owner on `--read`, then creates projects on `--write` (owner `n %
//! owners` for write `n`) on a fixed open-loop schedule: write `n` is due at
//! `start + n / rate`, whatever the answers before it did, sent on whichever
//! of `--writers` keep-alive connections is free. It measures, for every
//! delivery, the time from the write's `201` answer (as this client read it)
//! to the stream's receipt of its event (matched by project id), over the
//! writes due after `--warmup` seconds, and prints one JSON line on stdout
//! (p50/p99/max, achieved rate, deliveries expected vs received, lost and
//! duplicated events, how late the writes left against their schedule, and
//! this client's own CPU: a client that did not keep up says so).
//!
//! `--hook CMD` runs `sh -c CMD` at `--hook-at` seconds after the first write
//! (for instance a `pg_terminate_backend` of the listener); `--timeline` (or a
//! hook) also prints, on stderr, a line per second of the run.
//!
//! Plain HTTP/1.1 over loopback, parsed by hand: the request and answer
//! heads, `Content-Length` and chunked bodies, SSE frames from the raw bytes.

use std::{
    collections::{HashMap, HashSet},
    io::{self, Error, ErrorKind},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const USAGE: &str = "usage: trellis-events-loadgen --write URL --read URL [--owners N] \
[--per-owner N] [--rate N] [--seconds S] [--warmup S] [--writers N] [--drain S] \
[--pid NAME=PID]... [--hook-at S --hook CMD] [--timeline]";

#[derive(Debug, Clone)]
struct Args {
    write: String,
    read: String,
    owners: usize,
    per_owner: usize,
    rate: f64,
    seconds: f64,
    warmup: f64,
    writers: usize,
    drain: f64,
    pids: Vec<(String, u32)>,
    hook_at: f64,
    hook: Option<String>,
    timeline: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        write: String::new(),
        read: String::new(),
        owners: 100,
        per_owner: 10,
        rate: 1000.0,
        seconds: 20.0,
        warmup: 3.0,
        writers: 32,
        drain: 5.0,
        pids: Vec::new(),
        hook_at: 10.0,
        hook: None,
        timeline: false,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        if flag == "--timeline" {
            args.timeline = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = given.next().ok_or(format!("{flag} needs a value"))?;
        let number = |value: &str| -> Result<f64, String> {
            value
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite() && *number >= 0.0)
                .ok_or(format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--write" => args.write = address(&value)?,
            "--read" => args.read = address(&value)?,
            "--owners" => args.owners = number(&value)? as usize,
            "--per-owner" => args.per_owner = number(&value)? as usize,
            "--rate" => args.rate = number(&value)?,
            "--seconds" => args.seconds = number(&value)?,
            "--warmup" => args.warmup = number(&value)?,
            "--writers" => args.writers = number(&value)? as usize,
            "--drain" => args.drain = number(&value)?,
            "--hook-at" => args.hook_at = number(&value)?,
            "--hook" => args.hook = Some(value),
            "--pid" => {
                let (name, pid) = value
                    .split_once('=')
                    .ok_or("--pid takes NAME=PID".to_owned())?;
                let pid = pid.parse().map_err(|_| format!("--pid: bad pid {pid}"))?;
                args.pids.push((name.to_owned(), pid));
            }
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if args.write.is_empty() || args.read.is_empty() {
        return Err(USAGE.to_owned());
    }
    if args.owners == 0 || args.rate <= 0.0 || args.seconds <= 0.0 || args.writers == 0 {
        return Err("--owners, --rate, --seconds and --writers must be positive".to_owned());
    }
    Ok(args)
}

/// `http://host:port[/]` (or `host:port`) → `host:port`.
fn address(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') || !rest.contains(':') {
        return Err(format!("expected http://HOST:PORT, got {url}"));
    }
    Ok(rest.to_owned())
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("runtime: {error}");
            std::process::exit(1);
        }
    };
    let outcome = runtime.block_on(run(args));
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Err(error) = outcome {
        eprintln!("loadgen failed: {error}");
        std::process::exit(1);
    }
}

// --- HTTP/1.1 by hand --------------------------------------------------------

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidData, message.into())
}

/// An answer's head.
#[derive(Debug)]
struct Head {
    status: u16,
    content_length: Option<usize>,
    chunked: bool,
}

/// One keep-alive connection, and what it read past the last answer.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(address: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host: address.to_owned(),
            buf: Vec::with_capacity(16384),
        })
    }

    /// Reads more into the buffer; end of stream is an error.
    async fn fill(&mut self) -> io::Result<()> {
        self.buf.reserve(16384);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
        }
        Ok(())
    }

    async fn send_head(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &str,
        body: &[u8],
    ) -> io::Result<()> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}", self.host);
        if let Some(token) = token {
            request.push_str("Authorization: Bearer ");
            request.push_str(token);
            request.push_str("\r\n");
        }
        if !body.is_empty() {
            request.push_str("Content-Type: application/json\r\n");
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await
    }

    async fn read_head(&mut self) -> io::Result<Head> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                let mut lines = text.split("\r\n");
                let status = lines
                    .next()
                    .and_then(|line| line.split(' ').nth(1))
                    .and_then(|code| code.parse().ok())
                    .ok_or_else(|| bad(format!("bad status line in {text:?}")))?;
                let mut head = Head {
                    status,
                    content_length: None,
                    chunked: false,
                };
                for line in lines {
                    let Some((name, value)) = line.split_once(':') else {
                        continue;
                    };
                    let value = value.trim();
                    if name.eq_ignore_ascii_case("content-length") {
                        head.content_length = value.parse().ok();
                    } else if name.eq_ignore_ascii_case("transfer-encoding") {
                        head.chunked = value.to_ascii_lowercase().contains("chunked");
                    }
                }
                return Ok(head);
            }
            self.fill().await?;
        }
    }

    /// One request and its whole answer.
    async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> io::Result<(u16, Vec<u8>)> {
        self.send_head(method, path, token, "", body).await?;
        let head = self.read_head().await?;
        let mut answer = Vec::new();
        if head.chunked {
            let mut chunks = Chunked::default();
            loop {
                chunks.feed(&mut self.buf, &mut answer)?;
                if chunks.done() {
                    break;
                }
                self.fill().await?;
            }
        } else {
            let length = head.content_length.unwrap_or(0);
            while self.buf.len() < length {
                self.fill().await?;
            }
            answer.extend(self.buf.drain(..length));
        }
        Ok((head.status, answer))
    }
}

/// An incremental decoder of a chunked body.
#[derive(Debug, Default)]
struct Chunked {
    state: ChunkState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum ChunkState {
    #[default]
    Size,
    Data(usize),
    DataEnd,
    Last,
    Done,
}

impl Chunked {
    fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Moves what can be decoded from `raw` to `out`, leaving the rest.
    fn feed(&mut self, raw: &mut Vec<u8>, out: &mut Vec<u8>) -> io::Result<()> {
        let mut at = 0;
        loop {
            let left = raw.len() - at;
            match self.state {
                ChunkState::Size => {
                    let Some(end) = find(&raw[at..], b"\r\n") else {
                        break;
                    };
                    let line = String::from_utf8_lossy(&raw[at..at + end]);
                    let digits = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(digits, 16)
                        .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
                    at += end + 2;
                    self.state = if size == 0 {
                        ChunkState::Last
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(remaining) => {
                    let take = remaining.min(left);
                    if take == 0 {
                        break;
                    }
                    out.extend_from_slice(&raw[at..at + take]);
                    at += take;
                    self.state = if take == remaining {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(remaining - take)
                    };
                }
                ChunkState::DataEnd | ChunkState::Last => {
                    if left < 2 {
                        break;
                    }
                    at += 2;
                    self.state = if self.state == ChunkState::Last {
                        ChunkState::Done
                    } else {
                        ChunkState::Size
                    };
                }
                ChunkState::Done => break,
            }
        }
        raw.drain(..at);
        Ok(())
    }
}

/// A UUID's 32 hex digits (dashes skipped) as a number.
fn parse_uuid(text: &[u8]) -> Option<u128> {
    let mut value = 0u128;
    let mut digits = 0;
    for &byte in text {
        if byte == b'-' {
            continue;
        }
        value = value << 4 | u128::from(char::from(byte).to_digit(16)?);
        digits += 1;
        if digits == 32 {
            return Some(value);
        }
    }
    None
}

/// The `project_id` of an SSE frame's `data:` JSON (a top-level key: the
/// nested project has `id`, never `project_id`).
fn frame_project_id(frame: &[u8]) -> Option<u128> {
    const KEY: &[u8] = b"\"project_id\":\"";
    let at = find(frame, KEY)? + KEY.len();
    parse_uuid(frame.get(at..at + 36)?)
}

// --- Owners, streams, writes -------------------------------------------------

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or(0)
}

/// Signs up one owner (retrying a 503 from a full hashing queue).
async fn sign_up(address: &str, email: &str) -> io::Result<String> {
    let body =
        serde_json::json!({"email": email, "password": "correct horse", "full_name": "Bench"})
            .to_string();
    for _ in 0..50 {
        let mut conn = Conn::open(address).await?;
        let (status, answer) = conn
            .request("POST", "/api/register", None, body.as_bytes())
            .await?;
        if status == 503 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if status != 201 {
            return Err(bad(format!(
                "register: {status} {}",
                String::from_utf8_lossy(&answer)
            )));
        }
        let answer: serde_json::Value = serde_json::from_slice(&answer)?;
        return answer["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| bad("register: no token"));
    }
    Err(bad("register: 503 fifty times"))
}

/// What one stream received: (project id, when), in order.
type Receipts = Arc<Mutex<Vec<(u128, Instant)>>>;

/// An open SSE stream, its head read.
#[derive(Debug)]
struct Stream {
    conn: Conn,
    chunked: bool,
}

async fn open_stream(address: &str, token: &str) -> io::Result<Stream> {
    let mut conn = Conn::open(address).await?;
    conn.send_head(
        "GET",
        "/api/events",
        Some(token),
        "Accept: text/event-stream\r\n",
        b"",
    )
    .await?;
    let head = conn.read_head().await?;
    if head.status != 200 {
        return Err(bad(format!("GET /api/events: {}", head.status)));
    }
    Ok(Stream {
        conn,
        chunked: head.chunked,
    })
}

/// Reads a stream until it ends, noting each event's receipt time (one
/// clock reading per read: the frames of one read arrived together).
async fn consume(
    mut stream: Stream,
    receipts: Receipts,
    received: Arc<AtomicU64>,
) -> io::Result<()> {
    let mut chunks = Chunked::default();
    let mut text = Vec::with_capacity(16384);
    let mut found = Vec::new();
    loop {
        let conn = &mut stream.conn;
        conn.buf.reserve(16384);
        if conn.stream.read_buf(&mut conn.buf).await? == 0 {
            return Ok(());
        }
        let at = Instant::now();
        if stream.chunked {
            chunks.feed(&mut conn.buf, &mut text)?;
        } else {
            text.append(&mut conn.buf);
        }
        let mut start = 0;
        while let Some(end) = find(&text[start..], b"\n\n") {
            if let Some(id) = frame_project_id(&text[start..start + end]) {
                found.push((id, at));
            }
            start += end + 2;
        }
        text.drain(..start);
        if !found.is_empty() {
            received.fetch_add(found.len() as u64, Ordering::Relaxed);
            if let Ok(mut receipts) = receipts.lock() {
                receipts.append(&mut found);
            }
            found.clear();
        }
        if chunks.done() {
            return Ok(());
        }
    }
}

/// One write as the client saw it.
#[derive(Debug, Clone, Copy)]
struct Write {
    n: usize,
    id: u128,
    due: Instant,
    sent: Instant,
    answered: Instant,
}

#[derive(Debug, Default)]
struct WriterOutcome {
    writes: Vec<Write>,
    failures: Vec<String>,
}

struct Schedule {
    address: String,
    owners: Vec<String>,
    next: AtomicUsize,
    total: usize,
    start: Instant,
    rate: f64,
}

impl Schedule {
    fn due(&self, n: usize) -> Instant {
        self.start + Duration::from_secs_f64(n as f64 / self.rate)
    }
}

/// Takes the next due write, waits for its time, sends it; again until all
/// are taken. A write found late is sent at once (open loop).
async fn write_loop(schedule: Arc<Schedule>) -> WriterOutcome {
    let mut outcome = WriterOutcome::default();
    let mut conn = None;
    loop {
        let n = schedule.next.fetch_add(1, Ordering::Relaxed);
        if n >= schedule.total {
            return outcome;
        }
        let due = schedule.due(n);
        tokio::time::sleep_until(due.into()).await;
        if conn.is_none() {
            match Conn::open(&schedule.address).await {
                Ok(opened) => conn = Some(opened),
                Err(error) => {
                    outcome.failures.push(format!("connect: {error}"));
                    continue;
                }
            }
        }
        let Some(open) = conn.as_mut() else { continue };
        let sent = Instant::now();
        let body = format!("{{\"name\":\"p{n}\"}}");
        let token = &schedule.owners[n % schedule.owners.len()];
        match open
            .request("POST", "/api/projects", Some(token), body.as_bytes())
            .await
        {
            Ok((201, answer)) => {
                let answered = Instant::now();
                let id = serde_json::from_slice::<serde_json::Value>(&answer)
                    .ok()
                    .and_then(|answer| {
                        answer["project"]["id"]
                            .as_str()
                            .and_then(|id| parse_uuid(id.as_bytes()))
                    });
                match id {
                    Some(id) => outcome.writes.push(Write {
                        n,
                        id,
                        due,
                        sent,
                        answered,
                    }),
                    None => outcome.failures.push("201 without a project id".to_owned()),
                }
            }
            Ok((status, answer)) => outcome.failures.push(format!(
                "POST /api/projects: {status} {}",
                String::from_utf8_lossy(&answer)
            )),
            Err(error) => {
                outcome
                    .failures
                    .push(format!("POST /api/projects: {error}"));
                conn = None;
            }
        }
    }
}

// --- Measuring ---------------------------------------------------------------

/// Utime + stime of a process, in seconds (`/proc/PID/stat`, USER_HZ 100).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn ms(value: Option<f64>) -> serde_json::Value {
    value.map_or(serde_json::Value::Null, |value| {
        serde_json::json!((value * 100.0).round() / 100.0)
    })
}

fn millis(later: Instant, earlier: Instant) -> f64 {
    if later >= earlier {
        (later - earlier).as_secs_f64() * 1000.0
    } else {
        -((earlier - later).as_secs_f64() * 1000.0)
    }
}

async fn run(args: Args) -> io::Result<()> {
    let load_before = loadavg();
    // Owners, four sign-ups at a time (bcrypt: the server hashes one per core).
    let stamp = unix_nanos();
    let mut owners = Vec::with_capacity(args.owners);
    for batch in (0..args.owners).collect::<Vec<_>>().chunks(4) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|n| {
                let address = args.write.clone();
                let email = format!("lg{n}-{stamp}@example.com");
                tokio::spawn(async move { sign_up(&address, &email).await })
            })
            .collect();
        for task in tasks {
            owners.push(task.await.map_err(|error| bad(error.to_string()))??);
        }
    }
    // Streams, fifty opening at a time; each then read by a task of its own.
    let received = Arc::new(AtomicU64::new(0));
    let subscribers = args.owners * args.per_owner;
    let mut receipts: Vec<(usize, Receipts)> = Vec::with_capacity(subscribers);
    let ended = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::with_capacity(subscribers);
    for batch in (0..subscribers).collect::<Vec<_>>().chunks(50) {
        let opening: Vec<_> = batch
            .iter()
            .map(|s| {
                let address = args.read.clone();
                let token = owners[s / args.per_owner].clone();
                tokio::spawn(async move { open_stream(&address, &token).await })
            })
            .collect();
        for (s, task) in batch.iter().zip(opening) {
            let stream = task.await.map_err(|error| bad(error.to_string()))??;
            let sink: Receipts = Arc::new(Mutex::new(Vec::new()));
            receipts.push((s / args.per_owner, Arc::clone(&sink)));
            let (received, ended) = (Arc::clone(&received), Arc::clone(&ended));
            readers.push(tokio::spawn(async move {
                if let Err(error) = consume(stream, sink, received).await {
                    eprintln!("stream failed: {error}");
                }
                ended.fetch_add(1, Ordering::Relaxed);
            }));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The writes, on a fixed schedule.
    let total = ((args.warmup + args.seconds) * args.rate).round() as usize;
    let warm = (args.warmup * args.rate).round() as usize;
    let start = Instant::now() + Duration::from_millis(100);
    let schedule = Arc::new(Schedule {
        address: args.write.clone(),
        owners: owners.clone(),
        next: AtomicUsize::new(0),
        total,
        start,
        rate: args.rate,
    });
    if let Some(hook) = args.hook.clone() {
        let at = start + Duration::from_secs_f64(args.hook_at);
        std::thread::spawn(move || {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            let ran = std::process::Command::new("sh")
                .arg("-c")
                .arg(&hook)
                .output();
            let offset = Instant::now().duration_since(start).as_secs_f64();
            match ran {
                Ok(output) => eprintln!(
                    "hook at {offset:.2} s: {} {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout).trim(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
                Err(error) => eprintln!("hook at {offset:.2} s failed: {error}"),
            }
        });
    }
    let me = std::process::id().to_string();
    let cpu_before: Vec<Option<f64>> = std::iter::once(me.clone())
        .chain(args.pids.iter().map(|(_, pid)| pid.to_string()))
        .map(|pid| cpu_seconds(&pid))
        .collect();
    let wall_before = Instant::now();
    let writers: Vec<_> = (0..args.writers)
        .map(|_| tokio::spawn(write_loop(Arc::clone(&schedule))))
        .collect();
    let mut writes = Vec::with_capacity(total);
    let mut failures = Vec::new();
    for writer in writers {
        let outcome = writer.await.map_err(|error| bad(error.to_string()))?;
        writes.extend(outcome.writes);
        failures.extend(outcome.failures);
    }
    let writes_done = Instant::now();
    let cpu_after: Vec<Option<f64>> = std::iter::once(me)
        .chain(args.pids.iter().map(|(_, pid)| pid.to_string()))
        .map(|pid| cpu_seconds(&pid))
        .collect();
    let wall = writes_done.duration_since(wall_before).as_secs_f64();

    // Until every delivery is in, or the drain time has passed.
    let expected_all = (writes.len() * args.per_owner) as u64;
    let drain_end = Instant::now() + Duration::from_secs_f64(args.drain);
    while received.load(Ordering::Relaxed) < expected_all && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let load_after = loadavg();
    let streams_ended = ended.load(Ordering::Relaxed);
    for reader in &readers {
        reader.abort();
    }

    // Matching.
    writes.sort_by_key(|write| write.n);
    let by_id: HashMap<u128, (usize, Write)> = writes
        .iter()
        .map(|write| (write.id, (write.n % args.owners, *write)))
        .collect();
    let mut delays = Vec::new();
    let mut from_send = Vec::new();
    let mut timeline: Vec<Vec<f64>> = Vec::new();
    let (mut received_all, mut received_measured) = (0u64, 0u64);
    let (mut duplicates, mut foreign, mut before_answer) = (0u64, 0u64, 0u64);
    for (owner, sink) in &receipts {
        let Ok(sink) = sink.lock() else { continue };
        let mut seen = HashSet::with_capacity(sink.len());
        for (id, at) in sink.iter() {
            let Some((write_owner, write)) = by_id.get(id) else {
                foreign += 1;
                continue;
            };
            if write_owner != owner {
                foreign += 1;
                continue;
            }
            if !seen.insert(*id) {
                duplicates += 1;
                continue;
            }
            received_all += 1;
            let delay = millis(*at, write.answered);
            let second = write.due.duration_since(start).as_secs() as usize;
            if timeline.len() <= second {
                timeline.resize(second + 1, Vec::new());
            }
            timeline[second].push(delay);
            if write.n >= warm {
                received_measured += 1;
                if delay < 0.0 {
                    before_answer += 1;
                }
                delays.push(delay);
                from_send.push(millis(*at, write.sent));
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    from_send.sort_by(f64::total_cmp);
    let measured: Vec<&Write> = writes.iter().filter(|write| write.n >= warm).collect();
    let measured_start = schedule.due(warm);
    let achieved = measured
        .iter()
        .map(|write| write.answered)
        .max()
        .map(|last| measured.len() as f64 / last.duration_since(measured_start).as_secs_f64());
    let mut late: Vec<f64> = measured
        .iter()
        .map(|write| millis(write.sent, write.due))
        .collect();
    late.sort_by(f64::total_cmp);
    let mut answer_ms: Vec<f64> = measured
        .iter()
        .map(|write| millis(write.answered, write.sent))
        .collect();
    answer_ms.sort_by(f64::total_cmp);
    let cpu_percent = |index: usize| -> serde_json::Value {
        match (
            cpu_before.get(index).copied().flatten(),
            cpu_after.get(index).copied().flatten(),
        ) {
            (Some(before), Some(after)) if wall > 0.0 => {
                serde_json::json!(((after - before) / wall * 1000.0).round() / 10.0)
            }
            _ => serde_json::Value::Null,
        }
    };
    let mut servers = serde_json::Map::new();
    for (index, (name, _)) in args.pids.iter().enumerate() {
        servers.insert(name.clone(), cpu_percent(index + 1));
    }
    let lost_all = expected_all.saturating_sub(received_all);
    let report = serde_json::json!({
        "write": args.write,
        "read": args.read,
        "subscribers": subscribers,
        "asked_writes_per_s": args.rate,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "writes": measured.len(),
        "write_failures": failures.len(),
        "achieved_writes_per_s": achieved.map(|rate| (rate * 10.0).round() / 10.0),
        "expected": measured.len() * args.per_owner,
        "deliveries": received_measured,
        "expected_incl_warmup": expected_all,
        "deliveries_incl_warmup": received_all,
        "lost_incl_warmup": lost_all,
        "duplicates": duplicates,
        "unmatched": foreign,
        "before_answer": before_answer,
        "streams_ended_early": streams_ended,
        "p50_ms": ms(percentile(&delays, 0.50)),
        "p99_ms": ms(percentile(&delays, 0.99)),
        "p999_ms": ms(percentile(&delays, 0.999)),
        "max_ms": ms(delays.last().copied()),
        "from_send_p50_ms": ms(percentile(&from_send, 0.50)),
        "from_send_p99_ms": ms(percentile(&from_send, 0.99)),
        "send_late_p99_ms": ms(percentile(&late, 0.99)),
        "send_late_max_ms": ms(late.last().copied()),
        "answer_p50_ms": ms(percentile(&answer_ms, 0.50)),
        "answer_p99_ms": ms(percentile(&answer_ms, 0.99)),
        "client_cpu_percent_of_one_core": cpu_percent(0),
        "cpu_percent_of_one_core": servers,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    });
    println!("{report}");
    let show = |key: &str| report[key].to_string();
    eprintln!(
        "{} -> {}: asked {} writes/s, achieved {}; deliveries {}/{} (lost incl. warm-up {}); \
         p50 {} ms, p99 {} ms, max {} ms; client CPU {}% of one core; load {}",
        args.write,
        args.read,
        args.rate,
        show("achieved_writes_per_s"),
        show("deliveries"),
        show("expected"),
        lost_all,
        show("p50_ms"),
        show("p99_ms"),
        show("max_ms"),
        show("client_cpu_percent_of_one_core"),
        load_after
    );
    for failure in failures.iter().take(5) {
        eprintln!("write failed: {failure}");
    }
    if args.timeline || args.hook.is_some() {
        eprintln!("second  writes  deliveries   p50 ms   p99 ms   max ms");
        for (second, delays) in timeline.iter_mut().enumerate() {
            delays.sort_by(f64::total_cmp);
            let count = writes
                .iter()
                .filter(|write| write.due.duration_since(start).as_secs() as usize == second)
                .count();
            let show = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.1}"));
            eprintln!(
                "{second:>6}  {count:>6}  {:>10}  {:>7}  {:>7}  {:>7}",
                delays.len(),
                show(percentile(delays, 0.5)),
                show(percentile(delays, 0.99)),
                show(delays.last().copied())
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_across_reads() {
        let mut decoder = Chunked::default();
        let mut out = Vec::new();
        let mut raw = b"5\r\nhel".to_vec();
        decoder.feed(&mut raw, &mut out).unwrap();
        raw.extend_from_slice(b"lo\r\n3;x=1\r\n wo\r");
        decoder.feed(&mut raw, &mut out).unwrap();
        raw.extend_from_slice(b"\n0\r\n\r\n");
        decoder.feed(&mut raw, &mut out).unwrap();
        assert_eq!(out, b"hello wo");
        assert!(decoder.done());
        assert!(raw.is_empty());
    }

    #[test]
    fn project_id_of_a_frame() {
        let frame = br#"id: 7
event: project.created
data: {"id":"7","type":"project.created","project_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","project":{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}}"#;
        assert_eq!(
            frame_project_id(frame),
            Some(0x0193a1b2_c3d4_7e5f_8a9b_0c1d2e3f4a5b)
        );
        assert_eq!(frame_project_id(b": keep-alive"), None);
    }

    #[test]
    fn nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(50.0));
        assert_eq!(percentile(&values, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
