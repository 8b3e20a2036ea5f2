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
//! [`PasswordHasher`]: trellis_ports::PasswordHasher
//! [`Clock`]: trellis_ports::Clock

mod accounts;
mod admin;
mod clock;
mod hasher;
mod limits;
mod projects;

pub use accounts::AccountsService;
pub use admin::AdminUsersService;
pub use clock::SystemClock;
pub use hasher::{BcryptHasher, InvalidCost};
pub use limits::{LoginThrottle, RateLimitPolicy, RateLimits, ResilientCounters};
pub use projects::ProjectsService;
