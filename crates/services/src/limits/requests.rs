//! Per-client fixed-window limits on the API.

use super::ResilientCounters;
use async_trait::async_trait;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use trellis_ports::{CounterStore, LimiterStats, RequestKind, RequestLimiter, Verdict};

/// The limits, as configured. Each is independent: 0 turns off only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// `RATE_LIMIT_MAX`: requests per window on the API.
    pub max: u32,
    /// `AUTH_RATE_LIMIT_MAX`: log-ins and sign-ups per window.
    pub auth_max: u32,
    /// `RATE_LIMIT_WINDOW_SECS`: the length of a window.
    pub window: Duration,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            max: 100,
            auth_max: 10,
            window: Duration::from_secs(900),
        }
    }
}

/// The [`RequestLimiter`] of Trellis: a general limit on every API request
/// and a stricter one on those that cost a password hash, both per client,
/// both fixed windows starting at a client's first request.
#[derive(Debug)]
pub struct RateLimits {
    policy: RateLimitPolicy,
    counters: Arc<ResilientCounters>,
    rejections: AtomicU64,
}

impl RateLimits {
    /// `policy`, counted in `counters`.
    pub fn new(policy: RateLimitPolicy, counters: Arc<ResilientCounters>) -> Self {
        Self {
            policy,
            counters,
            rejections: AtomicU64::new(0),
        }
    }

    /// The limits.
    pub fn policy(&self) -> RateLimitPolicy {
        self.policy
    }

    /// The limits a request of `kind` counts against: a name (its counter's
    /// key prefix) and a maximum.
    fn rules(&self, kind: RequestKind) -> impl Iterator<Item = (&'static str, u32)> {
        let general = (self.policy.max > 0).then_some(("api", self.policy.max));
        let auth = (self.policy.auth_max > 0 && kind == RequestKind::Authentication)
            .then_some(("auth", self.policy.auth_max));
        general.into_iter().chain(auth)
    }
}

#[async_trait]
impl RequestLimiter for RateLimits {
    async fn admit(&self, client: &str, kind: RequestKind) -> Option<Verdict> {
        let mut binding: Option<Verdict> = None;
        for (name, limit) in self.rules(kind) {
            let key = format!("{name}:{client}");
            let hit = match self.counters.hit(&key, self.policy.window).await {
                Ok(hit) => hit,
                Err(error) => {
                    // Only when memory itself failed: nothing left to count in.
                    tracing::error!(%error, "cannot count a request");
                    continue;
                }
            };
            let next = Verdict { limit, hit };
            binding = Some(match binding {
                Some(current) if current.outranks(&next) => current,
                _ => next,
            });
        }
        if binding.is_some_and(|verdict| verdict.exceeded()) {
            self.rejections.fetch_add(1, Ordering::Relaxed);
        }
        binding
    }

    fn stats(&self) -> LimiterStats {
        LimiterStats {
            rejections: self.rejections.load(Ordering::Relaxed),
            fallback_active: self.counters.falling_back(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_memory::MemoryCounters;

    fn limits(max: u32, auth_max: u32) -> RateLimits {
        RateLimits::new(
            RateLimitPolicy {
                max,
                auth_max,
                window: Duration::from_secs(60),
            },
            Arc::new(ResilientCounters::local(Arc::new(MemoryCounters::new(100)))),
        )
    }

    #[tokio::test]
    async fn each_limit_turns_off_on_its_own() {
        let general_off = limits(0, 2);
        assert_eq!(general_off.admit("a", RequestKind::Api).await, None);
        let auth = general_off
            .admit("a", RequestKind::Authentication)
            .await
            .unwrap();
        assert_eq!((auth.limit, auth.hit.count), (2, 1));
        let auth_off = limits(5, 0);
        let api = auth_off
            .admit("a", RequestKind::Authentication)
            .await
            .unwrap();
        assert_eq!(api.limit, 5);
    }

    #[tokio::test]
    async fn the_stricter_limit_binds_and_refusals_are_counted() {
        let limits = limits(100, 2);
        for _ in 0..2 {
            let verdict = limits
                .admit("a", RequestKind::Authentication)
                .await
                .unwrap();
            assert!(!verdict.exceeded());
            assert_eq!(verdict.limit, 2);
        }
        let refused = limits
            .admit("a", RequestKind::Authentication)
            .await
            .unwrap();
        assert!(refused.exceeded());
        assert_eq!(limits.stats().rejections, 1);
        let other = limits
            .admit("b", RequestKind::Authentication)
            .await
            .unwrap();
        assert!(!other.exceeded(), "another client has its own window");
    }
}
