//! The one place where driver and pool errors become [`RepositoryError`]s.
//!
//! What travels upward, to be logged once where the request fails, is the
//! SQLSTATE and the names of the table, column and constraint: never the
//! driver's `Display`, the server's message or its `DETAIL`, which quote
//! values (for a check violation, the whole failing row, password hash
//! included).

use deadpool_postgres::PoolError;
use std::{error::Error as _, fmt, io};
use tokio_postgres::error::SqlState;
use trellis_ports::RepositoryError;

/// The unique index that makes e-mail addresses case-insensitively unique.
const EMAIL_KEY: &str = "users_email_lower_key";

/// A driver error, from preparing or running a statement or reading a row.
///
/// Nothing is logged here: the error travels up as a [`DatabaseFailure`]
/// (or a [`ClientFailure`]) that says only what is safe to log, and is
/// logged once, where the request fails.
pub(crate) fn from_query(error: tokio_postgres::Error) -> RepositoryError {
    let Some(db) = error.as_db_error() else {
        let lost = error.is_closed() || error.source().is_some_and(|cause| cause.is::<io::Error>());
        return if lost {
            RepositoryError::Unavailable(Box::new(ClientFailure::ConnectionLost))
        } else {
            RepositoryError::Internal(Box::new(ClientFailure::Client))
        };
    };
    let failure = DatabaseFailure::of(db);
    let state = db.code();
    if *state == SqlState::UNIQUE_VIOLATION && db.constraint() == Some(EMAIL_KEY) {
        RepositoryError::EmailTaken
    } else if *state == SqlState::UNIQUE_VIOLATION {
        RepositoryError::Conflict {
            constraint: failure.constraint.unwrap_or_default(),
        }
    } else if *state == SqlState::FOREIGN_KEY_VIOLATION {
        RepositoryError::ReferenceMissing {
            constraint: failure.constraint.unwrap_or_default(),
        }
    } else if is_transient(state) {
        RepositoryError::Unavailable(Box::new(failure))
    } else {
        RepositoryError::Internal(Box::new(failure))
    }
}

/// What may be logged of a driver error: a server error's SQLSTATE and
/// names, or the driver's words for a connection failure (which name no
/// row).
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => DatabaseFailure::of(db).to_string(),
        None => error.to_string(),
    }
}

/// Failing to get a connection from the pool: always worth a retry later
/// (exhausted, closed, or the server cannot be reached).
pub(crate) fn from_pool(error: PoolError) -> RepositoryError {
    let cause: Box<dyn std::error::Error + Send + Sync> = match error {
        PoolError::Timeout(kind) => Box::new(PoolFailure::Timeout(kind)),
        PoolError::Backend(error) => return from_connect(error),
        PoolError::Closed => Box::new(PoolFailure::Closed),
        _ => Box::new(PoolFailure::Other),
    };
    RepositoryError::Unavailable(cause)
}

/// Failing to open a connection: always worth a retry later.
pub(crate) fn from_connect(error: tokio_postgres::Error) -> RepositoryError {
    RepositoryError::Unavailable(match error.as_db_error() {
        Some(db) => Box::new(DatabaseFailure::of(db)),
        // Connecting failed before any statement ran (refused, TLS,
        // unreachable): the driver's words carry no row, and say what
        // an operator must fix.
        None => Box::new(ClientFailure::Connect(error.to_string())),
    })
}

/// The store was closed.
pub(crate) fn closed() -> RepositoryError {
    RepositoryError::Unavailable(Box::new(PoolFailure::Closed))
}

/// A server error as it may be logged: its SQLSTATE and the names of the
/// table, column and constraint involved. Never the message, `DETAIL` or
/// `HINT`: those quote values (for a check violation `DETAIL` is the whole
/// failing row, password hash included).
#[derive(Debug)]
pub(crate) struct DatabaseFailure {
    code: String,
    table: Option<String>,
    column: Option<String>,
    constraint: Option<String>,
}

impl DatabaseFailure {
    fn of(db: &tokio_postgres::error::DbError) -> Self {
        Self {
            code: db.code().code().to_owned(),
            table: db.table().map(str::to_owned),
            column: db.column().map(str::to_owned),
            constraint: db.constraint().map(str::to_owned),
        }
    }
}

impl fmt::Display for DatabaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "database error SQLSTATE {}", self.code)?;
        for (name, value) in [
            ("table", &self.table),
            ("column", &self.column),
            ("constraint", &self.constraint),
        ] {
            if let Some(value) = value {
                write!(f, ", {name} {value}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for DatabaseFailure {}

/// A failure of the driver itself, not of the server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientFailure {
    /// The connection broke.
    #[error("database connection lost")]
    ConnectionLost,
    /// A new connection could not be made (refused, unreachable, TLS).
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// The driver refused a value or a row (a bug of ours).
    #[error("database client error")]
    Client,
    /// A value given to the adapter that its column cannot hold.
    #[error("{0} does not fit its column")]
    Unfit(&'static str),
}

/// No connection from the pool.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolFailure {
    #[error("no database connection within the timeout ({0:?})")]
    Timeout(deadpool_postgres::TimeoutType),
    #[error("the database pool is closed")]
    Closed,
    #[error("database pool error")]
    Other,
}

/// A value given to the adapter (`what`) that its column cannot hold: a
/// bug of the caller's, refused before anything is sent.
pub(crate) fn unfit(what: &'static str) -> RepositoryError {
    RepositoryError::Internal(Box::new(ClientFailure::Unfit(what)))
}

/// A statement did not finish within its bound.
pub(crate) fn timed_out(bound: std::time::Duration) -> RepositoryError {
    RepositoryError::Unavailable(Box::new(TimedOut(bound)))
}

/// A row the adapter cannot make sense of: a stored value the domain
/// rejects (something that does not keep Trellis's rules wrote it), or a
/// missing row a statement always returns.
pub(crate) fn unexpected(what: &'static str, reason: &'static str) -> RepositoryError {
    RepositoryError::Internal(Box::new(Unexpected { what, reason }))
}

/// States after which the same call may well succeed later: the connection
/// or server went away, the server is starting or stopping or full, the
/// statement was cancelled (by `statement_timeout`), or it lost a deadlock
/// or serialization race.
fn is_transient(state: &SqlState) -> bool {
    let code = state.code();
    code.starts_with("08") // connection exception
        || code.starts_with("40") // transaction rollback: deadlock, serialization failure
        || code.starts_with("53") // insufficient resources (too many connections, disk full)
        || code.starts_with("57") // operator intervention: shutdown, cancel, cannot connect now
}

/// The bound a call exceeded.
#[derive(Debug)]
struct TimedOut(std::time::Duration);

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no answer from the database within {} ms",
            self.0.as_millis()
        )
    }
}

impl std::error::Error for TimedOut {}

/// Data the adapter cannot make sense of.
#[derive(Debug)]
struct Unexpected {
    what: &'static str,
    reason: &'static str,
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unexpected {} from the database: {}",
            self.what, self.reason
        )
    }
}

impl std::error::Error for Unexpected {}
