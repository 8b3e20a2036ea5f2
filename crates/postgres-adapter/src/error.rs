//! Start-up failures: the store could not be built or migrated.

/// Why [`PgStore::connect`](crate::PgStore::connect) or
/// [`migrate`](crate::migrate) failed. Repository calls report
/// [`RepositoryError`](trellis_ports::RepositoryError) instead.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The connection string could not be parsed.
    #[error("invalid database connection string: {0}")]
    Connection(#[source] tokio_postgres::Error),
    /// The TLS configuration could not be built (unreadable or empty
    /// certificate file, no trusted roots).
    #[error("database TLS setup: {0}")]
    Tls(String),
    /// The pool could not be built.
    #[error("database pool: {0}")]
    Pool(String),
    /// No connection for migrating could be had.
    #[error("database unavailable for migrations: {0}")]
    Unavailable(#[source] trellis_ports::RepositoryError),
    /// A migration failed; the database keeps the migrations applied before it.
    #[error("database migration failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}
