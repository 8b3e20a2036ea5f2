//! The use cases of Trellis: one implementation of each driving port
//! ([`AccountService`], [`ProjectService`], [`AdminService`],
//! [`SessionService`], [`Revocations`], [`EventService`], [`HealthService`],
//! [`RequestLimiter`], [`AttachmentService`]), written only against the driven ports, plus the
//! production [`Clock`] (the system clock). The bcrypt hasher is an adapter
//! of its own (`trellis-password`).
//!
//! [`AccountService`]: trellis_ports::AccountService
//! [`ProjectService`]: trellis_ports::ProjectService
//! [`AdminService`]: trellis_ports::AdminService
//! [`SessionService`]: trellis_ports::SessionService
//! [`Revocations`]: trellis_ports::Revocations
//! [`EventService`]: trellis_ports::EventService
//! [`HealthService`]: trellis_ports::HealthService
//! [`RequestLimiter`]: trellis_ports::RequestLimiter
//! [`AttachmentService`]: trellis_ports::AttachmentService
//! [`Clock`]: trellis_ports::Clock

mod accounts;
mod admin;
mod attachments;
mod clock;
mod events;
mod health;
mod keys;
mod limits;
mod projects;
mod sessions;

pub use accounts::AccountsService;
pub use admin::AdminUsersService;
pub use attachments::{AttachmentJanitor, AttachmentPolicy, AttachmentsService};
pub use clock::SystemClock;
pub use events::{EventsService, TICKET_TTL};
pub use health::StoreHealthService;
pub use limits::{LoginThrottle, RateLimitPolicy, RateLimits, ResilientCounters};
pub use projects::{CursorKey, ProjectsService};
pub use sessions::{RefreshKey, RevocationList, SessionIssuer, SessionPolicy, SessionsService};
