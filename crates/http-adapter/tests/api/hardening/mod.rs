//! The hardening layers, through the real app: security headers, CORS,
//! rate limits (in memory and in Redis), metrics and the access log.

mod access_log;
mod cors;
mod headers;
mod limits;
mod metrics;
mod redis;
