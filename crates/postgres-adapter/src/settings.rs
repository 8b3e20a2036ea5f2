//! How to reach PostgreSQL and how patient to be with it.

use crate::ConnectionString;
use std::time::Duration;

/// Everything [`PgStore::connect`](crate::PgStore::connect) needs.
///
/// Its `Debug` form leaves out the password.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Where the server is, who to be, and how to secure the connection.
    pub connection: ConnectionString,
    /// Most connections the pool opens.
    pub pool_max: usize,
    /// Bound on opening a connection (TCP, TLS, start-up) and on waiting for
    /// a free one from the pool; also the bound on a readiness ping.
    pub connect_timeout: Duration,
    /// A connection unused for this long is closed.
    pub idle_timeout: Duration,
    /// Bound on one statement: the server cancels it (`statement_timeout`)
    /// and the adapter gives up on it (a half-open connection cannot hang a
    /// request).
    pub query_timeout: Duration,
    /// Statements slower than this are logged as warnings.
    pub slow_query: Duration,
    /// Whether statements are prepared once per connection and then run by
    /// name (fewer bytes per call, no re-planning). Turn it off behind a
    /// pooler that gives each transaction whichever server connection is
    /// free and does not track named statements (PgBouncer before 1.21 in
    /// transaction mode, or later ones with `max_prepared_statements = 0`):
    /// each statement then goes as an unnamed one, its parameter types
    /// included, in one round trip.
    pub prepared_statements: bool,
}
