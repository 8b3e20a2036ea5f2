//! How to reach PostgreSQL and how patient to be with it.

use std::{fmt, path::PathBuf, time::Duration};

/// Everything [`PgStore::connect`](crate::PgStore::connect) needs.
///
/// Its `Debug` form leaves out the connection string, which may hold a password.
#[derive(Clone)]
pub struct PgSettings {
    /// A libpq `key=value` string or a `postgres://` URL. An `sslmode` in it
    /// is overridden by [`Self::ssl_mode`].
    pub connection: String,
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
    /// Whether and how to encrypt.
    pub ssl_mode: SslMode,
    /// A PEM file of extra certificate authorities to trust, besides the
    /// system's.
    pub ssl_root_cert: Option<PathBuf>,
    /// Whether statements are prepared once per connection and then run by
    /// name (fewer bytes per call, no re-planning). Turn it off behind a
    /// pooler that gives each transaction whichever server connection is
    /// free and does not track named statements (PgBouncer before 1.21 in
    /// transaction mode, or later ones with `max_prepared_statements = 0`):
    /// each statement then goes as an unnamed one, its parameter types
    /// included, in one round trip.
    pub prepared_statements: bool,
}

impl fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgSettings")
            .field("connection", &"<redacted>")
            .field("pool_max", &self.pool_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("query_timeout", &self.query_timeout)
            .field("slow_query", &self.slow_query)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_root_cert", &self.ssl_root_cert)
            .field("prepared_statements", &self.prepared_statements)
            .finish()
    }
}

/// Transport security towards PostgreSQL (TLS over rustls).
///
/// Certificates are verified unless TLS is off altogether: there is no mode
/// that encrypts towards an unverified server, because such a connection is
/// open to anyone in the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Plain TCP (a local socket, a private network).
    #[default]
    Disable,
    /// TLS; the server's certificate must chain to a trusted authority (the
    /// system's roots plus [`PgSettings::ssl_root_cert`]), but its host name is
    /// not checked — libpq's `verify-ca`. For servers reached by an address
    /// their certificate does not name.
    Require,
    /// TLS; the certificate must chain to a trusted authority *and* name the
    /// host connected to.
    VerifyFull,
}
