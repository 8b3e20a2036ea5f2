//! The one place where driver and pool errors become [`RepositoryError`]s.
//!
//! Database details (SQLSTATE, constraint, server message) are logged here
//! and nowhere else; what travels upward names at most a constraint. The
//! server's `DETAIL` is never logged: for a check violation it contains the
//! whole failing row, password hash included.

use deadpool_postgres::PoolError;
use std::{error::Error as _, fmt, io};
use tokio_postgres::error::SqlState;
use trellis_ports::RepositoryError;

/// The unique index that makes e-mail addresses case-insensitively unique.
const EMAIL_KEY: &str = "users_email_lower_key";

/// A driver error, from preparing or running a statement or reading a row.
pub(crate) fn from_query(error: tokio_postgres::Error) -> RepositoryError {
    let Some(db) = error.as_db_error() else {
        if error.is_closed() || error.source().is_some_and(|cause| cause.is::<io::Error>()) {
            tracing::warn!(error = %error, "database connection lost");
            return RepositoryError::Unavailable(Box::new(error));
        }
        tracing::error!(error = %error, "database client error");
        return RepositoryError::Internal(Box::new(error));
    };
    tracing::warn!(
        code = db.code().code(),
        severity = db.severity(),
        table = db.table(),
        constraint = db.constraint(),
        message = db.message(),
        "database error"
    );
    let constraint = || db.constraint().unwrap_or_default().to_owned();
    let state = db.code();
    if *state == SqlState::UNIQUE_VIOLATION && db.constraint() == Some(EMAIL_KEY) {
        RepositoryError::EmailTaken
    } else if *state == SqlState::UNIQUE_VIOLATION {
        RepositoryError::Conflict {
            constraint: constraint(),
        }
    } else if *state == SqlState::FOREIGN_KEY_VIOLATION {
        RepositoryError::ReferenceMissing {
            constraint: constraint(),
        }
    } else if is_transient(state) {
        RepositoryError::Unavailable(Box::new(error))
    } else {
        RepositoryError::Internal(Box::new(error))
    }
}

/// Failing to get a connection from the pool: always worth a retry later
/// (exhausted, closed, or the server cannot be reached).
pub(crate) fn from_pool(error: PoolError) -> RepositoryError {
    tracing::warn!(error = %error, "no database connection");
    RepositoryError::Unavailable(Box::new(error))
}

/// A statement did not finish within its bound.
pub(crate) fn timed_out(bound: std::time::Duration) -> RepositoryError {
    tracing::warn!(timeout_ms = bound.as_millis(), "database call timed out");
    RepositoryError::Unavailable(Box::new(TimedOut(bound)))
}

/// A row the adapter cannot make sense of: a stored value the domain
/// rejects (something that does not keep Trellis's rules wrote it), or a
/// missing row a statement always returns.
pub(crate) fn unexpected(what: &'static str, reason: &'static str) -> RepositoryError {
    tracing::error!(what, reason, "unexpected data from the database");
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
