//! Counters that are never simply off.

use async_trait::async_trait;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use trellis_ports::{CounterError, CounterStore, Hit};

/// Counts in a shared store (Redis, so that every instance shares one
/// limit) when there is one, and in this process's memory whenever the
/// shared store fails: while it is down each instance keeps counting on its
/// own, and once it answers again the counting goes back to it. An outage
/// is warned about once, when it starts, and once more when it ends.
pub struct ResilientCounters {
    shared: Option<Arc<dyn CounterStore>>,
    local: Arc<dyn CounterStore>,
    falling_back: AtomicBool,
}

impl std::fmt::Debug for ResilientCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResilientCounters")
            .field("shared", &self.shared.is_some())
            .field("falling_back", &self.falling_back)
            .finish_non_exhaustive()
    }
}

impl ResilientCounters {
    /// Counters in this process only.
    pub fn local(local: Arc<dyn CounterStore>) -> Self {
        Self {
            shared: None,
            local,
            falling_back: AtomicBool::new(false),
        }
    }

    /// Counters in `shared`, and in `local` while `shared` fails.
    pub fn shared(shared: Arc<dyn CounterStore>, local: Arc<dyn CounterStore>) -> Self {
        Self {
            shared: Some(shared),
            ..Self::local(local)
        }
    }

    /// Whether the shared store is failing and counts are kept locally.
    pub fn falling_back(&self) -> bool {
        self.falling_back.load(Ordering::Relaxed)
    }

    fn answered(&self) {
        if self.falling_back.swap(false, Ordering::Relaxed) {
            tracing::warn!("rate-limit store answers again; counting there");
        }
    }

    fn failed(&self, error: &CounterError) {
        if !self.falling_back.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                cause = %error.0,
                "rate-limit store unavailable; counting in this instance's memory until it answers"
            );
        }
    }
}

#[async_trait]
impl CounterStore for ResilientCounters {
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, CounterError> {
        if let Some(shared) = &self.shared {
            match shared.hit(key, window).await {
                Ok(hit) => {
                    self.answered();
                    return Ok(hit);
                }
                Err(error) => self.failed(&error),
            }
        }
        self.local.hit(key, window).await
    }

    async fn peek(&self, key: &str) -> Result<Option<Hit>, CounterError> {
        if let Some(shared) = &self.shared {
            match shared.peek(key).await {
                Ok(hit) => {
                    self.answered();
                    return Ok(hit);
                }
                Err(error) => self.failed(&error),
            }
        }
        self.local.peek(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use trellis_memory::MemoryCounters;

    /// A store that fails while `down` is set.
    struct Flaky {
        down: AtomicBool,
        inner: MemoryCounters,
    }

    #[async_trait]
    impl CounterStore for Flaky {
        async fn hit(&self, key: &str, window: Duration) -> Result<Hit, CounterError> {
            if self.down.load(Ordering::Relaxed) {
                return Err(CounterError("down".into()));
            }
            self.inner.hit(key, window).await
        }

        async fn peek(&self, key: &str) -> Result<Option<Hit>, CounterError> {
            if self.down.load(Ordering::Relaxed) {
                return Err(CounterError("down".into()));
            }
            self.inner.peek(key).await
        }
    }

    #[tokio::test]
    async fn a_failing_shared_store_is_replaced_by_memory_until_it_answers() {
        let shared = Arc::new(Flaky {
            down: AtomicBool::new(false),
            inner: MemoryCounters::new(100),
        });
        let counters =
            ResilientCounters::shared(shared.clone(), Arc::new(MemoryCounters::new(100)));
        let minute = Duration::from_secs(60);
        assert_eq!(counters.hit("k", minute).await.unwrap().count, 1);
        shared.down.store(true, Ordering::Relaxed);
        assert_eq!(counters.hit("k", minute).await.unwrap().count, 1);
        assert_eq!(counters.hit("k", minute).await.unwrap().count, 2);
        assert!(counters.falling_back());
        shared.down.store(false, Ordering::Relaxed);
        assert_eq!(counters.hit("k", minute).await.unwrap().count, 2);
        assert!(!counters.falling_back());
    }
}
