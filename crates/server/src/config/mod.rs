//! Configuration: read once from the environment (and `.env`), typed,
//! validated. A bad value stops the process with one line naming the
//! variable. Nothing else in Trellis reads the environment.

mod attachments;
mod database;
mod duration;
mod events;
mod source;

pub use attachments::AttachmentConfig;
pub use database::DatabaseConfig;
pub use events::EventConfig;
pub use source::Source;

use secrecy::{SecretSlice, SecretString};
use std::{net::IpAddr, time::Duration};

/// The deployment flavour, `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// Lenient defaults: in-memory store allowed, generated JWT secret, pretty logs.
    Development,
    /// Strict: a database and a strong JWT secret are required, JSON logs.
    Production,
}

/// Log line format, `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (for log shippers).
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

/// Sessions and their refresh tokens.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    /// `REFRESH_TOKEN_TTL`: how long a session lives (`30d`).
    pub ttl: Duration,
    /// `REFRESH_REUSE_GRACE_SECS`: how long a spent refresh token still
    /// answers its successor (10).
    pub grace: Duration,
}

/// Rate limiting, per client IP.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `RATE_LIMIT_MAX`: requests per window on /api; 0 turns this limit off.
    pub max: u32,
    /// `RATE_LIMIT_WINDOW_SECS`.
    pub window: Duration,
    /// `AUTH_RATE_LIMIT_MAX`: login and register per window; 0 turns this
    /// limit off.
    pub auth_max: u32,
    /// `LOGIN_FAILURES_MAX`: failed logins per e-mail per window, from any
    /// address; 0 turns this limit off.
    pub login_failures_max: u32,
    /// `REDIS_URL`: share counters between instances (it may hold a
    /// password: redacted in `Debug`).
    pub redis_url: Option<SecretString>,
    /// `TRUST_PROXY_HOPS`: how many `X-Forwarded-For` entries to trust.
    pub trust_proxy_hops: u32,
}

/// HTTP server limits.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `HOST`.
    pub host: IpAddr,
    /// `PORT` (0 picks a free one).
    pub port: u16,
    /// `WORKERS`: actix worker threads.
    pub workers: usize,
    /// `CLIENT_REQUEST_TIMEOUT_MS`: time to receive a request's head.
    pub client_request_timeout: Duration,
    /// `KEEP_ALIVE_SECS`.
    pub keep_alive: Duration,
    /// `MAX_CONNECTIONS` per worker.
    pub max_connections: usize,
    /// `SHUTDOWN_DELAY_SECS`: after a stop signal, how long to keep serving
    /// while readiness answers 503, before draining.
    pub shutdown_delay: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS`: grace period for in-flight requests.
    pub shutdown_timeout: Duration,
    /// `BODY_LIMIT_BYTES`.
    pub body_limit_bytes: usize,
    /// `SLOW_REQUEST_MS`.
    pub slow_request: Duration,
    /// `ALLOWED_ORIGINS`; `None` means any origin, without credentials.
    pub allowed_origins: Option<Vec<String>>,
}

/// Everything Trellis reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_ENV`.
    pub env: AppEnv,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `RUST_LOG` (or `LOG_LEVEL`): a tracing filter such as `info` or `info,trellis_postgres=debug`.
    pub log_filter: String,
    /// `None` runs on the in-memory store.
    pub database: Option<DatabaseConfig>,
    /// `JWT_SECRET`; generated at random in development when unset.
    /// Redacted in `Debug`.
    pub jwt_secret: SecretSlice<u8>,
    /// Whether `jwt_secret` was generated (tokens die with the process).
    pub jwt_secret_generated: bool,
    /// `JWT_EXPIRES_IN`.
    pub jwt_lifetime: Duration,
    /// `BCRYPT_COST`.
    pub bcrypt_cost: u32,
    /// The HTTP server.
    pub server: ServerConfig,
    /// Rate limits.
    pub rate_limit: RateLimitConfig,
    /// Sessions.
    pub sessions: SessionConfig,
    /// Event streams.
    pub events: EventConfig,
    /// Attachments.
    pub attachments: AttachmentConfig,
}

/// A variable with a value Trellis cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// Least bcrypt cost accepted; below it hashes are too cheap to brute-force.
const MIN_BCRYPT_COST: u32 = 10;
/// Least JWT secret length in production, in bytes (HS256 key size).
const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not worth refusing to
        // start over, since every value it would set is validated below.
        let _ = dotenvy::dotenv();
        Self::from_source(&Source::from_env())
    }

    /// Reads configuration from `source`.
    pub fn from_source(source: &Source) -> Result<Self, ConfigError> {
        let env = match source.get("APP_ENV").or_else(|| source.get("NODE_ENV")) {
            None | Some("development" | "dev" | "test") => AppEnv::Development,
            Some("production" | "prod") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "APP_ENV",
                    format!("must be development or production, not {other:?}"),
                ));
            }
        };
        let log_format = match source.get("LOG_FORMAT") {
            None if env == AppEnv::Production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(_) => return Err(ConfigError::new("LOG_FORMAT", "must be json or pretty")),
        };
        let log_filter = source
            .get("RUST_LOG")
            .or_else(|| source.get("LOG_LEVEL"))
            .unwrap_or("info")
            .to_owned();
        let database = database::read(source)?;
        if database.is_none() && env == AppEnv::Production {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "is required in production (the in-memory store loses data on exit)",
            ));
        }
        let (jwt_secret, jwt_secret_generated) = match source.get("JWT_SECRET") {
            Some(secret) if secret.trim() != secret => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "starts or ends with white space (a stray newline?); remove it, or it is part of the secret",
                ));
            }
            Some(secret) if env == AppEnv::Production && secret.len() < MIN_SECRET_BYTES => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "must be at least 32 bytes in production",
                ));
            }
            Some(secret) => (SecretSlice::from(secret.as_bytes().to_vec()), false),
            None if env == AppEnv::Production => {
                return Err(ConfigError::new("JWT_SECRET", "is required in production"));
            }
            None => (SecretSlice::from(random_secret()), true),
        };
        let bcrypt_cost = source.parse("BCRYPT_COST", 12u32)?;
        if !(MIN_BCRYPT_COST..=31).contains(&bcrypt_cost) {
            return Err(ConfigError::new("BCRYPT_COST", "must be between 10 and 31"));
        }
        Ok(Self {
            env,
            log_format,
            log_filter,
            database,
            jwt_secret,
            jwt_secret_generated,
            jwt_lifetime: match source.get("JWT_EXPIRES_IN") {
                None => Duration::from_secs(24 * 3600),
                Some(raw) => duration::parse(raw)
                    .filter(|lifetime| !lifetime.is_zero())
                    .ok_or_else(|| {
                        ConfigError::new(
                            "JWT_EXPIRES_IN",
                            "must be a duration like 3600, 15m, 24h or 7d",
                        )
                    })?,
            },
            bcrypt_cost,
            server: server(source)?,
            sessions: SessionConfig {
                ttl: match source.get("REFRESH_TOKEN_TTL") {
                    None => Duration::from_secs(30 * 24 * 3600),
                    Some(raw) => duration::parse(raw)
                        .filter(|ttl| !ttl.is_zero())
                        .ok_or_else(|| {
                            ConfigError::new(
                                "REFRESH_TOKEN_TTL",
                                "must be a duration like 3600, 15m, 24h or 30d",
                            )
                        })?,
                },
                grace: Duration::from_secs(source.parse("REFRESH_REUSE_GRACE_SECS", 10)?),
            },
            events: EventConfig::read(source)?,
            attachments: AttachmentConfig::read(source)?,
            rate_limit: RateLimitConfig {
                max: source.parse("RATE_LIMIT_MAX", 100)?,
                window: source.positive_secs("RATE_LIMIT_WINDOW_SECS", 900)?,
                auth_max: source.parse("AUTH_RATE_LIMIT_MAX", 10)?,
                login_failures_max: source.parse("LOGIN_FAILURES_MAX", 10)?,
                redis_url: source.get("REDIS_URL").map(SecretString::from),
                trust_proxy_hops: source.parse("TRUST_PROXY_HOPS", 0)?,
            },
        })
    }
}

fn server(source: &Source) -> Result<ServerConfig, ConfigError> {
    let allowed_origins = source.get("ALLOWED_ORIGINS").map(|list| {
        list.split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect::<Vec<_>>()
    });
    if allowed_origins
        .as_ref()
        .is_some_and(|origins| origins.iter().any(|o| o == "*"))
    {
        return Err(ConfigError::new(
            "ALLOWED_ORIGINS",
            "must list origins; `*` with credentials is invalid (leave it unset to allow any origin)",
        ));
    }
    if let Some(origins) = &allowed_origins {
        trellis_http::hardening::CorsPolicy::new(Some(origins))
            .map_err(|problem| ConfigError::new("ALLOWED_ORIGINS", problem.to_string()))?;
    }
    let workers = source.parse(
        "WORKERS",
        std::thread::available_parallelism().map_or(2, usize::from),
    )?;
    if workers == 0 {
        return Err(ConfigError::new("WORKERS", "must be at least 1"));
    }
    let body_limit_bytes = source.parse("BODY_LIMIT_BYTES", 10 * 1024)?;
    if body_limit_bytes == 0 {
        return Err(ConfigError::new("BODY_LIMIT_BYTES", "must be at least 1"));
    }
    Ok(ServerConfig {
        host: source.parse("HOST", IpAddr::from([0, 0, 0, 0]))?,
        port: source.parse("PORT", 3000)?,
        workers,
        client_request_timeout: Duration::from_millis(
            source.parse("CLIENT_REQUEST_TIMEOUT_MS", 5000)?,
        ),
        keep_alive: Duration::from_secs(source.parse("KEEP_ALIVE_SECS", 5)?),
        max_connections: source.parse("MAX_CONNECTIONS", 25_000)?,
        shutdown_delay: Duration::from_secs(source.parse("SHUTDOWN_DELAY_SECS", 0)?),
        shutdown_timeout: Duration::from_secs(source.parse("SHUTDOWN_TIMEOUT_SECS", 10)?),
        body_limit_bytes,
        slow_request: Duration::from_millis(source.parse("SLOW_REQUEST_MS", 1000)?),
        allowed_origins: allowed_origins.filter(|origins| !origins.is_empty()),
    })
}

/// 32 random bytes from the OS, by way of two v4 UUIDs (already a dependency).
fn random_secret() -> Vec<u8> {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

#[cfg(test)]
mod tests;
