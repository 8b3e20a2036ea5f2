//! PostgreSQL storage for Trellis: the [`UserRepository`], [`ProjectRepository`]
//! and [`StoreHealth`] ports on tokio-postgres and a deadpool-postgres pool,
//! and the schema migrations embedded from `migrations/`.
//!
//! Every statement is a constant string with `$n` parameters of declared
//! types, prepared once per connection (or, behind a transaction-pooling
//! PgBouncer, sent unnamed: [`PgSettings::prepared_statements`]), bounded by
//! the query timeout, and logged when slow.
//! Database errors are mapped to [`RepositoryError`] in one place.
//!
//! ```no_run
//! # async fn start(settings: trellis_postgres::PgSettings) -> Result<(), trellis_postgres::PgError> {
//! let store = trellis_postgres::PgStore::connect(settings)?;
//! trellis_postgres::migrate(&store).await?;
//! # Ok(()) }
//! ```
//!
//! [`UserRepository`]: trellis_ports::UserRepository
//! [`ProjectRepository`]: trellis_ports::ProjectRepository
//! [`StoreHealth`]: trellis_ports::StoreHealth
//! [`RepositoryError`]: trellis_ports::RepositoryError

mod announce;
mod attachment;
mod connection;
mod error;
mod event;
mod failure;
mod idempotency;
mod listener;
mod migrate;
mod page;
mod project;
mod reads;
mod session;
mod settings;
mod store;
mod tls;
mod user;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use connection::{ConnectionString, InvalidSslMode, SslMode};
pub use error::PgError;
pub use listener::{EVENT_COMMITTED, Heard, Listen, PgListener, SESSION_ENDED};
pub use migrate::migrate;
pub use settings::PgSettings;
pub use store::PgStore;
