//! The middleware that every request crosses before it reaches a route:
//! security headers, CORS, rate limiting, metrics and the access log.
//!
//! [`app`](crate::app) wraps them around the routes, in the one order
//! stated there, and every test runs that app. Every layer answers its own
//! refusals with [`ApiError`](crate::ApiError) JSON bodies (or, for CORS,
//! the same `{"error", "request_id"}` shape). An error that escapes the
//! layers inside one is passed outwards with the layer's headers attached
//! as a response mapper; the request-id layer renders it, inside the
//! request's scope. No layer keeps a clone of the `HttpRequest` across the
//! inner call: actix's router needs the only reference to it to record the
//! matched route.

pub mod access_log;
pub mod cors;
pub mod metrics;
pub mod rate_limit;
pub mod security_headers;

pub use access_log::{RequestSpan, record_user};
pub use cors::CorsPolicy;
pub use metrics::Metrics;
pub use rate_limit::RateLimit;
pub use security_headers::security_headers;

use async_trait::async_trait;
use std::{sync::Arc, time::Duration};
use trellis_ports::{LimiterStats, RequestKind, RequestLimiter, Verdict};

/// The shared parts of the hardening layers, built once per process and
/// cloned into every worker by [`app`](crate::app), so that all workers
/// count into the same limiter and metrics.
#[derive(Clone)]
pub struct Hardening {
    /// Which origins may call from a browser.
    pub cors: CorsPolicy,
    /// The per-client request budgets.
    pub limiter: Arc<dyn RequestLimiter>,
    /// `TRUST_PROXY_HOPS`: reverse proxies whose `X-Forwarded-For` entries
    /// name the client.
    pub trust_proxy_hops: u32,
    /// What `GET /metrics` exposes.
    pub metrics: Arc<Metrics>,
    /// Requests slower than this are logged as warnings.
    pub slow_request: Duration,
}

impl std::fmt::Debug for Hardening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hardening")
            .field("slow_request", &self.slow_request)
            .finish_non_exhaustive()
    }
}

impl Hardening {
    /// Any origin without credentials, no rate limits, fresh metrics and a
    /// one-second slow-request threshold: for tests and for embedding the
    /// API behind a gateway that does its own limiting.
    pub fn permissive() -> Self {
        let limiter: Arc<dyn RequestLimiter> = Arc::new(NoLimits);
        Self {
            cors: CorsPolicy::any_origin(),
            metrics: Arc::new(Metrics::new().with_rate_limiter(Arc::clone(&limiter))),
            limiter,
            trust_proxy_hops: 0,
            slow_request: Duration::from_secs(1),
        }
    }
}

/// A limiter with every limit off.
#[derive(Debug)]
struct NoLimits;

#[async_trait]
impl RequestLimiter for NoLimits {
    async fn admit(&self, _client: &str, _kind: RequestKind) -> Option<Verdict> {
        None
    }

    fn stats(&self) -> LimiterStats {
        LimiterStats::default()
    }
}
