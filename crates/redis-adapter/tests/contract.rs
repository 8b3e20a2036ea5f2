//! The Redis counters pass the counter contract against the Redis at
//! `REDIS_URL` (default `redis://127.0.0.1:6379`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use trellis_ports::CounterStore;
use trellis_redis::RedisCounters;

async fn store() -> Arc<dyn CounterStore> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let counters = RedisCounters::new(&url, "trellis:test:").expect("a valid REDIS_URL");
    counters.connect().await.unwrap_or_else(|error| {
        panic!("no Redis at {url} ({error}): start one with `redis-server --daemonize yes`")
    });
    Arc::new(counters)
}

trellis_ports::counter_contract!(store());
