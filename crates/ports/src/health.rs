//! Whether storage answers, for readiness probes and metrics: the store's
//! own probe (driven, [`StoreHealth`]) and what an inbound adapter asks
//! (driving, [`HealthService`]).

use crate::{RepositoryError, ServiceError};
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

/// Whether the service can serve, as readiness probes and metrics ask.
#[async_trait]
pub trait HealthService: Send + Sync + 'static {
    /// `Ok` when storage answers; [`ServiceError::Unavailable`] (within the
    /// store's connect timeout) when it does not.
    async fn ready(&self) -> Result<(), ServiceError>;

    /// The connection pool's state, if the store has a pool.
    fn pool_stats(&self) -> Option<PoolStats>;
}
