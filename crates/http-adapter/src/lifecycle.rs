//! Draining: the phase between a stop signal and the end of serving, in
//! which the instance still answers but asks to be left.
//!
//! Once [`Lifecycle::start_draining`] is called, `GET /health/ready` answers
//! `503 {"status":"draining"}` (balancers take the instance out of
//! rotation) and every answer carries `Connection: close`, so that clients
//! leave their keep-alive connections on a response boundary instead of
//! racing the server's close (RFC 9112 §9.6).

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::ConnectionType,
    middleware::Next,
};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tokio::sync::watch;

/// Whether the instance is draining; cheap to clone, shared by every worker
/// and by whoever stops the server.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
    changes: Arc<watch::Sender<bool>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            draining: Arc::new(AtomicBool::new(false)),
            changes: Arc::new(watch::channel(false).0),
        }
    }
}

impl Lifecycle {
    /// Serving, not draining.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts draining (once; later calls change nothing).
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
        self.changes.send_replace(true);
    }

    /// Whether draining has started.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Completes when draining starts (at once if it has).
    pub async fn draining(&self) {
        let mut changes = self.changes.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = changes.wait_for(|draining| *draining).await;
    }
}

/// Middleware: while draining, every answer closes its connection.
pub(crate) async fn close_when_draining(
    lifecycle: Lifecycle,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    match next.call(req).await {
        Ok(mut response) => {
            if lifecycle.is_draining() {
                response
                    .response_mut()
                    .head_mut()
                    .set_connection_type(ConnectionType::Close);
            }
            Ok(response)
        }
        Err(mut error) => {
            if lifecycle.is_draining() {
                error.add_response_mapper(|mut response| {
                    response
                        .head_mut()
                        .set_connection_type(ConnectionType::Close);
                    response
                });
            }
            Err(error)
        }
    }
}
