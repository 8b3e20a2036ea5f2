//! Stopping without dropping anyone.
//!
//! On SIGTERM or SIGINT the instance drains ([`drain`]):
//!
//! 1. **Lame duck**, for `SHUTDOWN_DELAY_SECS`: readiness answers 503
//!    `draining` at once, every answer carries `Connection: close`, and the
//!    server keeps accepting and serving, so that a balancer's readiness
//!    probe takes it out of rotation before anything stops.
//! 2. **No new connections**: a socket filter on the listener drops new
//!    connection attempts (their clients retry, and find the port closed,
//!    or another instance), while the connections the kernel had already
//!    accepted into the listen queue are still accepted and answered.
//! 3. **Wait** until that queue is empty and every connection has closed
//!    (each closes after its next answer; idle ones at their keep-alive
//!    timeout), for at most `SHUTDOWN_TIMEOUT_SECS`.
//! 4. **Stop** the server (forcibly only past the timeout). The caller then
//!    stops the background workers and closes the pool.
//!
//! Closing a listener resets every connection still in its accept queue:
//! clients that did connect get no answer. Steps 2 and 3 are why none are
//! left there when it closes.

use crate::shutdown;
use actix_web::dev::ServerHandle;
use std::{
    io,
    net::{SocketAddr, TcpListener},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::time::Instant;
use trellis_http::Lifecycle;

/// How long each phase may last.
#[derive(Debug, Clone, Copy)]
pub struct DrainTimes {
    /// `SHUTDOWN_DELAY_SECS`: the lame-duck phase.
    pub delay: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS`: the wait for connections to end.
    pub timeout: Duration,
}

/// The listening socket, seen from the side that drains it (the server owns
/// another handle to the same socket).
#[derive(Debug)]
pub struct Listener {
    socket: socket2::Socket,
}

impl Listener {
    /// A listener on `addr` with a backlog of `backlog`, and the handle to
    /// give the HTTP server.
    pub fn bind(addr: SocketAddr, backlog: i32) -> io::Result<(Self, TcpListener)> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(backlog)?;
        let server_side = socket.try_clone()?;
        Ok((Self { socket }, server_side.into()))
    }

    /// The address bound (with the port picked, if 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an internet socket"))
    }

    /// From now on, new connection attempts are dropped by the kernel
    /// before they complete; those already queued are still accepted, and
    /// so are those halfway through their handshake (their last ACK still
    /// passes, so they join the queue rather than being reset when the
    /// listener closes).
    #[cfg(target_os = "linux")]
    fn refuse_new_connections(&self) -> io::Result<()> {
        use socket2::SockFilter;
        // Classic BPF, run on each segment for this socket with the TCP
        // header at offset 0: drop a SYN without ACK (a new attempt), keep
        // every other segment whole.
        const DROP_SYN: [SockFilter; 5] = [
            SockFilter::new(0x30, 0, 0, 13),          // ldb [13]: the flags
            SockFilter::new(0x54, 0, 0, 0x12),        // and #(SYN | ACK)
            SockFilter::new(0x15, 0, 1, 0x02),        // jeq #SYN: next, else skip one
            SockFilter::new(0x06, 0, 0, 0),           // ret #0: drop
            SockFilter::new(0x06, 0, 0, 0xffff_ffff), // ret #-1: keep
        ];
        self.socket.attach_filter(&DROP_SYN)
    }

    #[cfg(not(target_os = "linux"))]
    fn refuse_new_connections(&self) -> io::Result<()> {
        Ok(())
    }

    /// Connections waiting in the kernel's accept queue, as
    /// `/proc/net/tcp{,6}` reports it for this socket (`rx_queue` of a
    /// listening socket); `None` where that cannot be read.
    #[cfg(target_os = "linux")]
    fn queued(&self) -> Option<usize> {
        use std::os::{fd::AsRawFd, unix::fs::MetadataExt};
        let inode = std::fs::metadata(format!("/proc/self/fd/{}", self.socket.as_raw_fd()))
            .ok()?
            .ino()
            .to_string();
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .find_map(|table| {
                let table = std::fs::read_to_string(table).ok()?;
                table.lines().skip(1).find_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    if fields.get(9) != Some(&inode.as_str()) {
                        return None;
                    }
                    let (_, rx_queue) = fields.get(4)?.split_once(':')?;
                    usize::from_str_radix(rx_queue, 16).ok()
                })
            })
    }

    #[cfg(not(target_os = "linux"))]
    fn queued(&self) -> Option<usize> {
        None
    }
}

/// Connections open now, counted as the server opens and drops them.
#[derive(Debug, Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

/// Kept with a connection's data: counts it until the connection ends.
#[derive(Debug)]
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    /// For `HttpServer::on_connect`: counts the new connection.
    pub fn opened(&self, extensions: &mut actix_web::dev::Extensions) {
        self.0.fetch_add(1, Ordering::Relaxed);
        extensions.insert(Open(Arc::clone(&self.0)));
    }

    /// How many are open.
    pub fn open(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// How often the queue and the connections are looked at while waiting.
const POLL: Duration = Duration::from_millis(10);

/// Drains and stops the server (steps 1 to 4 above). A second stop signal
/// during the drain stops it at once.
pub async fn drain(
    times: DrainTimes,
    lifecycle: &Lifecycle,
    listener: Listener,
    connections: &Connections,
    server: ServerHandle,
) {
    lifecycle.start_draining();
    tracing::info!(
        delay_secs = times.delay.as_secs(),
        "draining: readiness answers 503 and every answer closes its connection"
    );
    let graceful = tokio::select! {
        graceful = drain_connections(times, &listener, connections) => graceful,
        () = shutdown::signal() => {
            tracing::warn!("second stop signal: stopping now");
            false
        }
    };
    // The last handle this side holds: the socket closes with the server's.
    drop(listener);
    server.stop(graceful).await;
}

/// Steps 1 to 3; whether every connection ended in time.
async fn drain_connections(
    times: DrainTimes,
    listener: &Listener,
    connections: &Connections,
) -> bool {
    tokio::time::sleep(times.delay).await;
    if let Err(error) = listener.refuse_new_connections() {
        tracing::warn!(%error, "cannot filter new connections; closing the listener may reset some");
    }
    let deadline = Instant::now() + times.timeout;
    // Empty on two looks in a row: a handshake that was under way when the
    // filter came lands in the queue in well under one poll.
    let mut empty_before = false;
    loop {
        let queued = listener.queued().unwrap_or(0);
        let open = connections.open();
        let empty = queued == 0 && open == 0;
        if empty && empty_before {
            tracing::info!("drained: no connection left");
            return true;
        }
        empty_before = empty;
        if Instant::now() >= deadline {
            tracing::warn!(
                open,
                queued,
                timeout_secs = times.timeout.as_secs(),
                "connections still open after SHUTDOWN_TIMEOUT_SECS; closing them"
            );
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
