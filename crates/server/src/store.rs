//! The storage behind the repositories: PostgreSQL when configured, the
//! in-memory store otherwise.

use crate::config::{DatabaseConfig, SslMode};
use std::sync::Arc;
use trellis_memory::InMemoryStore;
use trellis_ports::{ProjectRepository, StoreHealth, UserRepository};
use trellis_postgres::{PgSettings, PgStore};

/// One store, seen through each port it implements.
#[derive(Clone)]
pub struct Store {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Projects.
    pub projects: Arc<dyn ProjectRepository>,
    /// Readiness and pool gauges.
    pub health: Arc<dyn StoreHealth>,
    postgres: Option<PgStore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.postgres.is_some() {
            "Store(postgres)"
        } else {
            "Store(memory)"
        })
    }
}

impl Store {
    /// The in-memory store: data is lost on exit.
    pub fn memory() -> Self {
        let store = Arc::new(InMemoryStore::new());
        Self {
            users: store.clone(),
            projects: store.clone(),
            health: store,
            postgres: None,
        }
    }

    /// A pool on PostgreSQL. Does not wait for the server to answer.
    pub fn postgres(config: &DatabaseConfig) -> Result<Self, trellis_postgres::PgError> {
        let store = PgStore::connect(settings(config))?;
        let shared = Arc::new(store.clone());
        Ok(Self {
            users: shared.clone(),
            projects: shared.clone(),
            health: shared,
            postgres: Some(store),
        })
    }

    /// The PostgreSQL store, when that is what this is.
    pub fn as_postgres(&self) -> Option<&PgStore> {
        self.postgres.as_ref()
    }

    /// Closes the pool, if any: open connections are dropped.
    pub fn close(&self) {
        if let Some(store) = &self.postgres {
            store.close();
        }
    }
}

fn settings(config: &DatabaseConfig) -> PgSettings {
    PgSettings {
        connection: config.connection.clone(),
        pool_max: config.pool_max,
        connect_timeout: config.connect_timeout,
        idle_timeout: config.idle_timeout,
        query_timeout: config.query_timeout,
        slow_query: config.slow_query,
        ssl_mode: match config.ssl_mode {
            SslMode::Disable => trellis_postgres::SslMode::Disable,
            SslMode::Require => trellis_postgres::SslMode::Require,
            SslMode::VerifyFull => trellis_postgres::SslMode::VerifyFull,
        },
        ssl_root_cert: config.ssl_root_cert.clone(),
        prepared_statements: config.prepared_statements,
    }
}
