//! Readiness: whether the store behind the services answers.

use async_trait::async_trait;
use std::sync::Arc;
use trellis_ports::{HealthService, PoolStats, ServiceError, StoreHealth};

/// The [`HealthService`] of Trellis: asks the store.
#[derive(Clone)]
pub struct StoreHealthService {
    store: Arc<dyn StoreHealth>,
}

impl std::fmt::Debug for StoreHealthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHealthService")
    }
}

impl StoreHealthService {
    /// Readiness of `store`.
    pub fn new(store: Arc<dyn StoreHealth>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl HealthService for StoreHealthService {
    async fn ready(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        self.store.pool_stats()
    }
}
