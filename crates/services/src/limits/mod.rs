//! Request limits: per client on the API ([`RateLimits`]), per account on
//! logging in ([`LoginThrottle`]), counted in [`ResilientCounters`].

mod counters;
mod login;
mod requests;

pub use counters::ResilientCounters;
pub use login::LoginThrottle;
pub use requests::{RateLimitPolicy, RateLimits};
