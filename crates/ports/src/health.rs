//! Whether storage answers, for readiness probes and metrics.

use crate::RepositoryError;
use async_trait::async_trait;

/// A snapshot of a connection pool, for the metrics endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Most connections the pool will open.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Open connections not in use.
    pub available: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

/// Probes the store behind the repositories.
#[async_trait]
pub trait StoreHealth: Send + Sync + 'static {
    /// Round-trips to storage. MUST return [`RepositoryError::Unavailable`]
    /// within the configured connect timeout when storage is unreachable,
    /// never hang.
    async fn ping(&self) -> Result<(), RepositoryError>;

    /// The pool's state, if the store has a pool.
    fn pool_stats(&self) -> Option<PoolStats>;
}
