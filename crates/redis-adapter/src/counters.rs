//! Fixed-window counters in Redis, shared by every instance.
//!
//! One Lua script per hit: `INCR`, and on the first hit of a window (or a
//! key that somehow lost its expiry) `PEXPIRE`; it answers the count and
//! the time left, atomically, in one round trip.
//!
//! Redis being down must not take the API with it, nor slow every request:
//! each call is bounded by [`CALL_TIMEOUT`], and after a failure Redis is
//! left alone for [`PAUSE_AFTER_FAILURE`] (callers count elsewhere in the
//! meantime) before one call probes it again — no re-dial storm. The
//! connection is made lazily, so a server can start while Redis is down.

use async_trait::async_trait;
use redis::{
    Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use std::{
    fmt,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::Mutex;
use trellis_ports::{BoxError, CounterError, CounterStore, Hit};

/// Longest a request waits on Redis.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(200);
/// How long Redis is not asked after a failure.
pub const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(5);

const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

const PEEK_SCRIPT: &str = r"
local count = redis.call('GET', KEYS[1])
if not count then
  return false
end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
";

/// A `REDIS_URL` that is not a Redis URL.
#[derive(Debug, thiserror::Error)]
#[error("not a Redis URL: {0}")]
pub struct InvalidUrl(#[source] redis::RedisError);

/// Why Redis did not count.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis failed recently; not asked again yet")]
    Paused,
}

impl From<Failure> for CounterError {
    fn from(failure: Failure) -> Self {
        CounterError(BoxError::from(failure))
    }
}

/// A [`CounterStore`] in Redis, every key under one prefix.
pub struct RedisCounters {
    client: Client,
    prefix: String,
    hit_script: Script,
    peek_script: Script,
    /// The connection, once made; dropped after a failure so that the next
    /// probe connects afresh (a manager whose server went away does not
    /// notice it is back until a call fails on it).
    connection: RwLock<Option<ConnectionManager>>,
    /// Held while connecting, so that one probe connects, not every request.
    connecting: Mutex<()>,
    /// Redis is not asked before this instant, as milliseconds since `epoch`.
    paused_until_ms: AtomicU64,
    epoch: Instant,
}

impl fmt::Debug for RedisCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's connection info may hold a password.
        f.debug_struct("RedisCounters")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCounters {
    /// Counters at `url` (`redis://[:password@]host:port[/db]`), every key
    /// starting with `prefix`. Only a malformed URL is an error: an
    /// unreachable server is tried again later.
    pub fn new(url: &str, prefix: &str) -> Result<Self, InvalidUrl> {
        Ok(Self {
            client: Client::open(url).map_err(InvalidUrl)?,
            prefix: prefix.to_owned(),
            hit_script: Script::new(HIT_SCRIPT),
            peek_script: Script::new(PEEK_SCRIPT),
            connection: RwLock::new(None),
            connecting: Mutex::new(()),
            paused_until_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    /// Connects now, so that a misconfiguration shows at start; a failure
    /// pauses Redis like any other.
    pub async fn connect(&self) -> Result<(), CounterError> {
        Ok(self
            .guarded(async { self.connection().await.map(drop) })
            .await?)
    }

    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CALL_TIMEOUT)
            .set_response_timeout(CALL_TIMEOUT)
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `call` unless Redis is paused, within [`CALL_TIMEOUT`]; pauses
    /// Redis when it fails.
    async fn guarded<T>(
        &self,
        call: impl Future<Output = Result<T, redis::RedisError>>,
    ) -> Result<T, Failure> {
        if self.elapsed_ms() < self.paused_until_ms.load(Ordering::Relaxed) {
            return Err(Failure::Paused);
        }
        let outcome = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => Failure::Redis(error),
            Err(_) => Failure::Timeout(CALL_TIMEOUT),
        };
        let resume = self.elapsed_ms() + PAUSE_AFTER_FAILURE.as_millis() as u64;
        self.paused_until_ms.fetch_max(resume, Ordering::Relaxed);
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        Err(outcome)
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

fn hit_of(count: u64, ttl_ms: i64, fallback_ms: u64) -> Hit {
    Hit {
        count,
        resets_in: Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(fallback_ms)),
    }
}

#[async_trait]
impl CounterStore for RedisCounters {
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, CounterError> {
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let key = format!("{}{key}", self.prefix);
        let (count, ttl_ms): (u64, i64) = self
            .guarded(async {
                let mut connection = self.connection().await?;
                self.hit_script
                    .key(&key)
                    .arg(window_ms)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(hit_of(count, ttl_ms, window_ms))
    }

    async fn peek(&self, key: &str) -> Result<Option<Hit>, CounterError> {
        let key = format!("{}{key}", self.prefix);
        let current: Option<(u64, i64)> = self
            .guarded(async {
                let mut connection = self.connection().await?;
                self.peek_script
                    .key(&key)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(current
            .filter(|(_, ttl_ms)| *ttl_ms != 0)
            .map(|(count, ttl_ms)| hit_of(count, ttl_ms, 0)))
    }
}
