//! A fault-injecting TCP proxy: it sits between trellis and PostgreSQL and
//! can cut the line (connections reset, new ones refused), blackhole it
//! (connections stay open but nothing is forwarded: a half-open peer), or
//! forward again. It runs on its own thread and runtime, so a test's own
//! runtime cannot starve it, and stops when dropped.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    thread,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pass bytes both ways.
    Forward,
    /// Pass bytes both ways, holding each chunk towards the server this long
    /// (a slow or overloaded database).
    Slow(std::time::Duration),
    /// Close every connection and refuse new ones at once.
    Cut,
    /// Keep connections open, accept new ones, forward nothing.
    Blackhole,
}

/// A running proxy to one upstream address.
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    stop: Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let (mode_tx, mode_rx) = watch::channel(Mode::Forward);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
                addr_tx
                    .send(listener.local_addr().expect("proxy addr"))
                    .expect("proxy start");
                tokio::select! {
                    _ = stop_rx => {}
                    () = accept_loop(listener, upstream, mode_rx) => {}
                }
            });
        });
        Self {
            addr: addr_rx.recv().expect("proxy address"),
            mode: mode_tx,
            stop: Arc::new(Mutex::new(Some(stop_tx))),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches behaviour; applies to open connections too.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut stop| stop.take()) {
            let _ = stop.send(());
        }
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let current = *mode.borrow();
        match current {
            Mode::Cut => drop(client),
            Mode::Forward | Mode::Slow(_) | Mode::Blackhole => {
                tokio::spawn(pipe(client, upstream, mode.clone()));
            }
        }
    }
}

/// Copies both ways until either side closes or the mode says otherwise.
async fn pipe(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    // A connection accepted while blackholed waits for the line to come back.
    while *mode.borrow() == Mode::Blackhole {
        if mode.changed().await.is_err() {
            return;
        }
    }
    if *mode.borrow() == Mode::Cut {
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    loop {
        tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() || *mode.borrow() == Mode::Cut {
                    return;
                }
            }
            read = client_read.read(&mut up), if forwarding(*mode.borrow()) => {
                match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        let current = *mode.borrow();
                        if let Mode::Slow(delay) = current {
                            tokio::time::sleep(delay).await;
                        }
                        if server_write.write_all(&up[..n]).await.is_err() { return }
                    }
                }
            }
            read = server_read.read(&mut down), if forwarding(*mode.borrow()) => {
                match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => if client_write.write_all(&down[..n]).await.is_err() { return },
                }
            }
        }
    }
}

fn forwarding(mode: Mode) -> bool {
    matches!(mode, Mode::Forward | Mode::Slow(_))
}
