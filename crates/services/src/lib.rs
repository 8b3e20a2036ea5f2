//! The use cases of Trellis: one implementation of each driving port
//! ([`AccountService`], [`ProjectService`], [`AdminService`],
//! [`RequestLimiter`]), written only against the driven ports, plus the
//! production [`PasswordHasher`] (bcrypt) and [`Clock`] (the system clock).
//!
//! [`RequestLimiter`]: trellis_ports::RequestLimiter
//!
//! [`AccountService`]: trellis_ports::AccountService
//! [`ProjectService`]: trellis_ports::ProjectService
//! [`AdminService`]: trellis_ports::AdminService
//! [`Clock`]: trellis_ports::Clock

mod accounts;
mod admin;
mod clock;
mod health;
mod limits;
mod projects;
mod sessions;

pub use accounts::AccountsService;
pub use admin::AdminUsersService;
pub use clock::SystemClock;
pub use health::StoreHealthService;
pub use limits::{LoginThrottle, RateLimitPolicy, RateLimits, ResilientCounters};
pub use projects::ProjectsService;
pub use sessions::{RefreshKey, RevocationList, SessionIssuer, SessionPolicy, SessionsService};
