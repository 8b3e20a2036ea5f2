//! Where PostgreSQL is, and how to talk to it.

use super::{ConfigError, Source};
use std::{path::PathBuf, time::Duration};
use trellis_postgres::{ConnectionString, PgSettings, SslMode};

/// Where PostgreSQL is and how to talk to it: `DATABASE_URL` (or the old
/// service's `DB_*` parts), `DB_POOL_MAX`, `DB_CONNECT_TIMEOUT_SECS`,
/// `DB_IDLE_TIMEOUT_SECS`, `DB_QUERY_TIMEOUT_SECS`, `SLOW_QUERY_MS`,
/// `DB_SSLMODE`, `DB_SSLROOTCERT` and `DB_PREPARED_STATEMENTS`, as the
/// adapter takes them. `sslmode` and `sslrootcert` may also be in the URL,
/// with libpq's meanings; given both ways, they must agree.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// The pool's settings (their `Debug` hides the connection string).
    pub settings: PgSettings,
    /// `RUN_MIGRATIONS`: apply pending migrations at start.
    pub run_migrations: bool,
    /// `DATABASE_LISTEN_URL`: where the instance's one `LISTEN` connection
    /// goes (a direct server when `DATABASE_URL` is a transaction-pooling
    /// PgBouncer); the same as the pool's when unset.
    pub listen: ConnectionString,
}

/// The database settings, or `None` when none is given (the in-memory store).
pub(super) fn read(source: &Source) -> Result<Option<DatabaseConfig>, ConfigError> {
    let mut connection = match source.get("DATABASE_URL") {
        Some(url) => url
            .parse::<ConnectionString>()
            .map_err(|problem| ConfigError::new("DATABASE_URL", problem.to_string()))?,
        None if source.get("DB_HOST").is_some() || source.get("DB_NAME").is_some() => {
            ConnectionString::from_parts(
                source.get("DB_HOST").unwrap_or("localhost"),
                source.parse("DB_PORT", 5432)?,
                source.get("DB_NAME").unwrap_or("trellis"),
                source.get("DB_USER").unwrap_or("postgres"),
                source.get("DB_PASSWORD"),
            )
        }
        None => return Ok(None),
    };
    let pool_max = source.parse("DB_POOL_MAX", 20)?;
    if pool_max == 0 {
        return Err(ConfigError::new("DB_POOL_MAX", "must be at least 1"));
    }
    if let Some(raw) = source.get("DB_SSLMODE") {
        let mode: SslMode = raw
            .parse()
            .map_err(|problem: trellis_postgres::InvalidSslMode| {
                ConfigError::new("DB_SSLMODE", problem.to_string())
            })?;
        match connection.ssl_mode() {
            Some(in_url) if in_url != mode => {
                return Err(ConfigError::new(
                    "DB_SSLMODE",
                    format!(
                        "is {mode}, but DATABASE_URL says sslmode={in_url}; set one, or the same in both"
                    ),
                ));
            }
            _ => connection.set_ssl_mode(mode),
        }
    }
    if let Some(raw) = source.get("DB_SSLROOTCERT") {
        let path = PathBuf::from(raw);
        match connection.ssl_root_cert() {
            Some(in_url) if *in_url != path => {
                return Err(ConfigError::new(
                    "DB_SSLROOTCERT",
                    format!(
                        "is {raw}, but DATABASE_URL says sslrootcert={}; set one, or the same in both",
                        in_url.display()
                    ),
                ));
            }
            _ => connection.set_ssl_root_cert(path),
        }
    }
    let listen = match source.get("DATABASE_LISTEN_URL") {
        Some(url) => {
            let mut listen = url
                .parse::<ConnectionString>()
                .map_err(|problem| ConfigError::new("DATABASE_LISTEN_URL", problem.to_string()))?;
            // The pool's TLS settings apply, unless the listen URL has its own.
            if let (None, Some(mode)) = (listen.ssl_mode(), connection.ssl_mode()) {
                listen.set_ssl_mode(mode);
            }
            if let (None, Some(root)) = (listen.ssl_root_cert(), connection.ssl_root_cert()) {
                listen.set_ssl_root_cert(root.clone());
            }
            listen
        }
        None => connection.clone(),
    };
    let settings = PgSettings {
        connection,
        pool_max,
        connect_timeout: source.positive_secs("DB_CONNECT_TIMEOUT_SECS", 5)?,
        idle_timeout: source.positive_secs("DB_IDLE_TIMEOUT_SECS", 30)?,
        query_timeout: source.positive_secs("DB_QUERY_TIMEOUT_SECS", 10)?,
        slow_query: Duration::from_millis(source.parse("SLOW_QUERY_MS", 200)?),
        prepared_statements: source.parse("DB_PREPARED_STATEMENTS", true)?,
    };
    Ok(Some(DatabaseConfig {
        settings,
        run_migrations: source.parse("RUN_MIGRATIONS", true)?,
        listen,
    }))
}
