//! What every handler can reach: the services, token keys and settings.

use crate::{Lifecycle, TokenKeys};
use std::{fmt, sync::Arc, time::Instant};
use trellis_ports::{
    AccountService, AdminService, AttachmentService, EventService, HealthService, ProjectService,
    Revocations, SessionService,
};

/// The shared state of the app, cloned into every actix worker.
#[derive(Clone)]
pub struct AppState {
    /// Sign-up, log-in, one's own profile.
    pub accounts: Arc<dyn AccountService>,
    /// Refreshing, listing and ending sessions.
    pub sessions: Arc<dyn SessionService>,
    /// Which sessions have ended (asked on every authenticated request).
    pub revocations: Arc<dyn Revocations>,
    /// A user's own projects.
    pub projects: Arc<dyn ProjectService>,
    /// Streams of the changes to a caller's projects.
    pub events: Arc<dyn EventService>,
    /// The files of a caller's projects.
    pub attachments: Arc<dyn AttachmentService>,
    /// The largest attachment accepted, in bytes (a body declaring much
    /// more is refused before it is read).
    pub attachment_max_bytes: u64,
    /// Managing accounts (admins only).
    pub admin: Arc<dyn AdminService>,
    /// Answers `GET /health/ready`.
    pub health: Arc<dyn HealthService>,
    /// Signs and verifies bearer tokens.
    pub tokens: TokenKeys,
    /// When the process started, for `GET /health`'s uptime.
    pub started_at: Instant,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Whether the instance is draining (readiness 503, connections close).
    pub lifecycle: Lifecycle,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("tokens", &self.tokens)
            .field("started_at", &self.started_at)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}
