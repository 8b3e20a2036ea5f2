//! The Redis adapters of Trellis: [`RedisCounters`], the rate-limit
//! counters that several instances share.

mod counters;

pub use counters::{CALL_TIMEOUT, InvalidUrl, PAUSE_AFTER_FAILURE, RedisCounters};
