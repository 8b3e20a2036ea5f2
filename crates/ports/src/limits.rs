//! Counting requests against limits: the windows they are counted in
//! (driven: [`CounterStore`]) and the limits an inbound adapter asks about
//! (driving: [`RequestLimiter`]).

use crate::BoxError;
use async_trait::async_trait;
use std::time::Duration;

/// One key's window, as a store counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Hits in this window, the one just counted included.
    pub count: u64,
    /// Time until the window ends.
    pub resets_in: Duration,
}

/// A store could not count (it is down, slow, or paused after failing).
#[derive(Debug, thiserror::Error)]
#[error("counter store unavailable")]
pub struct CounterError(#[source] pub BoxError);

/// Where fixed-window counters live: in this process, or in a server that
/// several instances share.
#[async_trait]
pub trait CounterStore: Send + Sync + 'static {
    /// Counts one hit against `key`. A key's first hit, or its first after
    /// its window ended, starts a new window of length `window`.
    ///
    /// MUST answer quickly (a slow store delays every request it counts) and
    /// MUST be atomic: two hits at once count two.
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, CounterError>;

    /// The current window of `key` without counting: `None` if it has none
    /// running.
    async fn peek(&self, key: &str) -> Result<Option<Hit>, CounterError>;
}

/// Which limits a request counts against, besides the general one on the
/// API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Any API request.
    Api,
    /// A request that costs a password hash (logging in, signing up): the
    /// stricter limit applies too.
    Authentication,
}

/// What the binding limit says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Requests allowed per window.
    pub limit: u32,
    /// The request's window, this request counted.
    pub hit: Hit,
}

impl Verdict {
    /// Whether the request is over the limit.
    pub fn exceeded(&self) -> bool {
        self.hit.count > u64::from(self.limit)
    }

    /// Requests left in this window.
    pub fn remaining(&self) -> u64 {
        u64::from(self.limit).saturating_sub(self.hit.count)
    }

    /// Whole seconds until the window ends, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        self.hit.resets_in.as_millis().div_ceil(1000) as u64
    }

    /// Whether this verdict, rather than `other`, is the one to report when
    /// a request counts against two limits: a refusal over a pass, then the
    /// later reset among refusals, then the fewer remaining requests.
    pub fn outranks(&self, other: &Verdict) -> bool {
        match (self.exceeded(), other.exceeded()) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => self.hit.resets_in >= other.hit.resets_in,
            (false, false) => self.remaining() <= other.remaining(),
        }
    }
}

/// How the limiter has fared, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimiterStats {
    /// Requests refused so far.
    pub rejections: u64,
    /// Whether the shared store is failing and this instance counts in its
    /// own memory meanwhile.
    pub fallback_active: bool,
}

/// The per-client request limits, as an inbound adapter asks about them.
#[async_trait]
pub trait RequestLimiter: Send + Sync + 'static {
    /// Counts a request of `kind` from `client` against every limit that
    /// applies, and says what the binding one allows. `None` when no limit
    /// applies (all of them are turned off).
    ///
    /// MUST NOT let a request through uncounted because a store failed: a
    /// limit is never simply off.
    async fn admit(&self, client: &str, kind: RequestKind) -> Option<Verdict>;

    /// Rejections so far, and whether a fallback store is in use.
    fn stats(&self) -> LimiterStats;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(limit: u32, count: u64, resets_in_secs: u64) -> Verdict {
        Verdict {
            limit,
            hit: Hit {
                count,
                resets_in: Duration::from_secs(resets_in_secs),
            },
        }
    }

    #[test]
    fn the_binding_limit_is_reported() {
        let general = verdict(100, 5, 800);
        let auth = verdict(10, 5, 800);
        assert!(auth.outranks(&general));
        let refused = verdict(10, 11, 100);
        assert!(refused.outranks(&general) && !general.outranks(&refused));
        assert!(verdict(100, 101, 800).outranks(&refused));
    }

    #[test]
    fn retry_after_rounds_up() {
        let mut v = verdict(1, 2, 0);
        v.hit.resets_in = Duration::from_millis(1_001);
        assert_eq!(v.retry_after_secs(), 2);
        assert_eq!((v.exceeded(), v.remaining()), (true, 0));
    }
}
