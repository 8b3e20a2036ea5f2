//! Per-client fixed-window rate limits on `/api`.
//!
//! Two rules: a general one on every `/api` request, and a stricter one that
//! `POST /api/login` and `POST /api/register` count against as well (they
//! cost a bcrypt hash each and are what credential stuffing aims at). A
//! request over either limit is answered 429 without reaching its route.
//! Each rule's window starts at a client's first request and lasts
//! `window`; a limit of 0 turns its rule off.
//!
//! Counters live in a [`CounterStore`]: [`MemoryCounters`] for one
//! instance, [`RedisCounters`] to share the limit between instances. A store
//! that fails is not allowed to fail the request: the limiter lets it
//! through (fails open) and warns, at most once a minute.

mod client_ip;
mod in_memory;
mod in_redis;

pub use client_ip::{bucket, client_ip};
pub use in_memory::MemoryCounters;
pub use in_redis::{CALL_TIMEOUT, PAUSE_AFTER_FAILURE, RedisCounters};

use crate::ApiError;
use actix_web::{
    Error, HttpResponse,
    body::EitherBody,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{
        Method,
        header::{HeaderMap, HeaderName, HeaderValue},
    },
};
use async_trait::async_trait;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use std::{
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// `X-RateLimit-Limit`: requests allowed per window.
pub const LIMIT_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// `X-RateLimit-Remaining`: requests left in this window.
pub const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
/// `X-RateLimit-Reset`: when the window ends, in seconds since the Unix epoch.
pub const RESET_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Keys the in-memory store holds at most (about 15 MB when full).
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;
/// Least time between two "store unavailable" warnings.
const WARN_INTERVAL_SECS: u64 = 60;

/// The limits, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `RATE_LIMIT_MAX`: requests per window on `/api`; 0 turns it off.
    pub max: u32,
    /// `RATE_LIMIT_WINDOW_SECS`: the length of a window.
    pub window: Duration,
    /// `AUTH_RATE_LIMIT_MAX`: login and register requests per window; 0 turns it off.
    pub auth_max: u32,
    /// `TRUST_PROXY_HOPS`: reverse proxies whose `X-Forwarded-For` entries are believed.
    pub trust_proxy_hops: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            max: 100,
            window: Duration::from_secs(900),
            auth_max: 10,
            trust_proxy_hops: 0,
        }
    }
}

/// One request counted: the count in the current window, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Requests in this window, this one included.
    pub count: u64,
    /// Time until the window ends.
    pub resets_in: Duration,
}

/// Why a store could not count.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis answered with an error or not at all.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer in time.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis failed recently and is left alone for a while.
    #[error("redis failed recently; not asked again yet")]
    Paused,
}

/// Where window counters live.
#[async_trait]
pub trait CounterStore: Send + Sync + 'static {
    /// Counts one request against `key`. A key's first request, or its first
    /// after its window ended, starts a new window of `window`. MUST NOT
    /// wait long: a slow store delays every request.
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, StoreError>;
}

/// The rules and their counters. Build one per process and share it between
/// workers (it is `Send + Sync`).
pub struct RateLimiter {
    settings: RateLimitSettings,
    store: Arc<dyn CounterStore>,
    rejections: AtomicU64,
    /// Seconds since the epoch of the last "store unavailable" warning.
    warned_at: AtomicU64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("settings", &self.settings)
            .field("rejections", &self.rejections)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Limits over any store.
    pub fn new(settings: RateLimitSettings, store: Arc<dyn CounterStore>) -> Self {
        Self {
            settings,
            store,
            rejections: AtomicU64::new(0),
            warned_at: AtomicU64::new(0),
        }
    }

    /// Limits counted in this process, for at most `capacity` clients.
    pub fn memory(settings: RateLimitSettings, capacity: usize) -> Self {
        Self::new(settings, Arc::new(MemoryCounters::new(capacity)))
    }

    /// Limits counted in Redis at `url` under keys starting with `prefix`, so
    /// that every instance using the same Redis and prefix shares them. Only a
    /// malformed URL is an error; an unreachable Redis is warned about and
    /// tried again later, the limiter failing open until it answers.
    pub async fn redis(
        url: &str,
        prefix: &str,
        settings: RateLimitSettings,
    ) -> Result<Self, redis::RedisError> {
        let counters = RedisCounters::new(url, prefix)?;
        if let Err(error) = counters.connect().await {
            tracing::warn!(%error, "rate limit store unreachable; serving without limits until it answers");
        }
        Ok(Self::new(settings, Arc::new(counters)))
    }

    /// The limits.
    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// Requests answered 429 so far.
    pub fn rejections(&self) -> u64 {
        self.rejections.load(Ordering::Relaxed)
    }

    /// Counts `req` against every rule that applies to it. `None` when no
    /// rule applies or the store failed.
    async fn judge(&self, method: &Method, path: &str, client: &str) -> Option<Verdict> {
        let mut verdict: Option<Verdict> = None;
        for rule in self.rules_for(method, path) {
            let hit = match self
                .store
                .hit(&format!("{}:{client}", rule.name), self.settings.window)
                .await
            {
                Ok(hit) => hit,
                Err(error) => {
                    self.warn_unavailable(&error);
                    return None;
                }
            };
            let next = Verdict::new(rule.max, hit);
            verdict = Some(match verdict {
                Some(current) if current.outranks(&next) => current,
                _ => next,
            });
        }
        verdict
    }

    fn rules_for(&self, method: &Method, path: &str) -> impl Iterator<Item = Rule> {
        let general = (self.settings.max > 0 && is_api(path)).then_some(Rule {
            name: "api",
            max: self.settings.max,
        });
        let auth = (self.settings.auth_max > 0
            && method == Method::POST
            && matches!(path, "/api/login" | "/api/register"))
        .then_some(Rule {
            name: "auth",
            max: self.settings.auth_max,
        });
        general.into_iter().chain(auth)
    }

    fn warn_unavailable(&self, error: &StoreError) {
        let now = epoch_secs();
        let last = self.warned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WARN_INTERVAL_SECS
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(%error, "rate limit store unavailable; serving without limits");
        }
    }
}

fn is_api(path: &str) -> bool {
    path.strip_prefix("/api")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    name: &'static str,
    max: u32,
}

/// What one rule says about a request.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    limit: u32,
    hit: Hit,
}

impl Verdict {
    fn new(limit: u32, hit: Hit) -> Self {
        Self { limit, hit }
    }

    fn exceeded(&self) -> bool {
        self.hit.count > u64::from(self.limit)
    }

    fn remaining(&self) -> u64 {
        u64::from(self.limit).saturating_sub(self.hit.count)
    }

    /// Whether this verdict, rather than `other`, is the one to report: a
    /// refusal over a pass, then the later reset among refusals, then the
    /// fewer remaining requests.
    fn outranks(&self, other: &Verdict) -> bool {
        match (self.exceeded(), other.exceeded()) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => self.hit.resets_in >= other.hit.resets_in,
            (false, false) => self.remaining() <= other.remaining(),
        }
    }

    /// Whole seconds until the window ends, rounded up.
    fn retry_after_secs(&self) -> u64 {
        self.hit.resets_in.as_millis().div_ceil(1000) as u64
    }

    fn stamp(&self, headers: &mut HeaderMap) {
        let reset = epoch_secs() + self.retry_after_secs();
        for (name, value) in [
            (LIMIT_HEADER, u64::from(self.limit)),
            (REMAINING_HEADER, self.remaining()),
            (RESET_HEADER, reset),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Middleware applying a [`RateLimiter`] to the requests under `/api`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    limiter: Arc<RateLimiter>,
}

impl RateLimit {
    /// Applies `limiter`; share one limiter between all workers.
    pub fn new(limiter: Arc<RateLimiter>) -> Self {
        Self { limiter }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RateLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RateLimitMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RateLimitMiddleware {
            service: Rc::new(service),
            limiter: Arc::clone(&self.limiter),
        }))
    }
}

/// The service [`RateLimit`] wraps around the app.
#[derive(Debug)]
pub struct RateLimitMiddleware<S> {
    service: Rc<S>,
    limiter: Arc<RateLimiter>,
}

impl<S, B> Service<ServiceRequest> for RateLimitMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let limiter = Arc::clone(&self.limiter);
        Box::pin(async move {
            let client = bucket(client_ip(
                req.peer_addr().map(|peer| peer.ip()),
                req.headers(),
                limiter.settings.trust_proxy_hops,
            ));
            let verdict = limiter.judge(req.method(), req.path(), &client).await;
            let Some(verdict) = verdict else {
                return Ok(service.call(req).await?.map_into_left_body());
            };
            if verdict.exceeded() {
                limiter.rejections.fetch_add(1, Ordering::Relaxed);
                let error = ApiError::TooManyRequests {
                    retry_after_secs: verdict.retry_after_secs(),
                };
                let mut response: HttpResponse = HttpResponse::from_error(error);
                verdict.stamp(response.headers_mut());
                return Ok(req.into_response(response).map_into_right_body());
            }
            match service.call(req).await {
                Ok(mut response) => {
                    verdict.stamp(response.headers_mut());
                    Ok(response.map_into_left_body())
                }
                Err(mut error) => {
                    error.add_response_mapper(move |mut response| {
                        verdict.stamp(response.headers_mut());
                        response
                    });
                    Err(error)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(limit: u32, count: u64, resets_in_secs: u64) -> Verdict {
        Verdict::new(
            limit,
            Hit {
                count,
                resets_in: Duration::from_secs(resets_in_secs),
            },
        )
    }

    #[test]
    fn the_binding_rule_is_reported() {
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
    }

    #[test]
    fn only_api_paths_and_auth_posts_are_limited() {
        let limiter = RateLimiter::memory(RateLimitSettings::default(), 10);
        let names = |method: Method, path: &str| {
            limiter
                .rules_for(&method, path)
                .map(|rule| rule.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Method::GET, "/api/projects"), ["api"]);
        assert_eq!(names(Method::GET, "/api"), ["api"]);
        assert_eq!(names(Method::POST, "/api/login"), ["api", "auth"]);
        assert_eq!(names(Method::POST, "/api/register"), ["api", "auth"]);
        assert_eq!(names(Method::GET, "/api/login"), ["api"]);
        assert!(names(Method::GET, "/apix").is_empty());
        assert!(names(Method::GET, "/health").is_empty());
        let off = RateLimiter::memory(
            RateLimitSettings {
                max: 0,
                ..RateLimitSettings::default()
            },
            10,
        );
        assert_eq!(
            off.rules_for(&Method::POST, "/api/login")
                .map(|rule| rule.name)
                .collect::<Vec<_>>(),
            ["auth"]
        );
    }
}
