//! Fixed-window counters in this process, bounded.
//!
//! The map is split into shards (one mutex each) so that workers rarely
//! wait on each other. A shard never holds more than its share of the
//! capacity: when it is full, expired windows are swept out (at most once
//! a second per shard, so a flood does not turn every insert into a full
//! scan), and if it is still full, the quietest of a few sampled clients is
//! forgotten. A flood of fresh addresses therefore evicts other fresh
//! addresses, while a client close to its limit keeps its count.

use async_trait::async_trait;
use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};
use trellis_ports::{CounterError, CounterStore, Hit};

/// Shards of the map.
const SHARDS: usize = 32;
/// Entries looked at to pick one to evict from a full shard.
const EVICTION_SAMPLE: usize = 16;
/// Least time between two sweeps of expired windows in one shard.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Keys held by default: about 15 MB when full.
pub const DEFAULT_COUNTER_CAPACITY: usize = 100_000;

/// In-process [`CounterStore`] holding at most `capacity` keys' windows.
#[derive(Debug)]
pub struct MemoryCounters {
    shards: Box<[Mutex<Shard>]>,
    shard_capacity: usize,
    hasher: RandomState,
}

#[derive(Debug)]
struct Shard {
    windows: HashMap<String, Window>,
    next_sweep: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    count: u64,
    ends_at: Instant,
}

impl MemoryCounters {
    /// Counters for at most `capacity` keys (rounded up to a multiple of the
    /// shard count, at least one per shard).
    pub fn new(capacity: usize) -> Self {
        let shard_capacity = capacity.div_ceil(SHARDS).max(1);
        let now = Instant::now();
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        windows: HashMap::with_capacity(shard_capacity),
                        next_sweep: now,
                    })
                })
                .collect(),
            shard_capacity,
            hasher: RandomState::new(),
        }
    }

    /// Most keys held at once.
    pub fn capacity(&self) -> usize {
        self.shard_capacity * SHARDS
    }

    /// Keys held now (expired windows not yet swept included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).windows.len())
            .sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn count(&self, key: &str, window: Duration, now: Instant) -> Hit {
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        let mut shard = lock(&self.shards[index]);
        if let Some(current) = shard.windows.get_mut(key) {
            if current.ends_at > now {
                current.count += 1;
            } else {
                *current = Window {
                    count: 1,
                    ends_at: now + window,
                };
            }
            return current.hit(now);
        }
        if shard.windows.len() >= self.shard_capacity {
            shard.make_room(self.shard_capacity, now);
        }
        let fresh = Window {
            count: 1,
            ends_at: now + window,
        };
        shard.windows.insert(key.to_owned(), fresh);
        fresh.hit(now)
    }

    fn current(&self, key: &str, now: Instant) -> Option<Hit> {
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        let shard = lock(&self.shards[index]);
        shard
            .windows
            .get(key)
            .filter(|window| window.ends_at > now)
            .map(|window| window.hit(now))
    }
}

impl Shard {
    /// Frees at least one place below `capacity`.
    fn make_room(&mut self, capacity: usize, now: Instant) {
        if now >= self.next_sweep {
            self.windows.retain(|_, window| window.ends_at > now);
            self.next_sweep = now + SWEEP_INTERVAL;
        }
        if self.windows.len() < capacity {
            return;
        }
        let quietest = self
            .windows
            .iter()
            .take(EVICTION_SAMPLE)
            .min_by_key(|(_, window)| (window.count, window.ends_at))
            .map(|(key, _)| key.clone());
        if let Some(key) = quietest {
            self.windows.remove(&key);
        }
    }
}

impl Window {
    fn hit(&self, now: Instant) -> Hit {
        Hit {
            count: self.count,
            resets_in: self.ends_at.saturating_duration_since(now),
        }
    }
}

/// A poisoned shard only means another thread panicked mid-update of a
/// counter; the counts are still usable.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl CounterStore for MemoryCounters {
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, CounterError> {
        Ok(self.count(key, window, Instant::now()))
    }

    async fn peek(&self, key: &str) -> Result<Option<Hit>, CounterError> {
        Ok(self.current(key, Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn counts_within_a_window_and_restarts_after_it() {
        let counters = MemoryCounters::new(100);
        let start = Instant::now();
        assert_eq!(counters.count("a", MINUTE, start).count, 1);
        let second = counters.count("a", MINUTE, start + Duration::from_secs(10));
        assert_eq!(second.count, 2);
        assert_eq!(second.resets_in, Duration::from_secs(50));
        assert_eq!(counters.count("b", MINUTE, start).count, 1);
        assert_eq!(
            counters.current("a", start + Duration::from_secs(10)),
            Some(second)
        );
        assert_eq!(counters.current("a", start + MINUTE), None);
        let after = counters.count("a", MINUTE, start + MINUTE);
        assert_eq!((after.count, after.resets_in), (1, MINUTE));
    }

    #[test]
    fn a_flood_of_new_keys_stays_within_capacity_and_spares_busy_clients() {
        let counters = MemoryCounters::new(1_000);
        let start = Instant::now();
        for _ in 0..50 {
            counters.count("busy", MINUTE, start);
        }
        for n in 0..100_000u32 {
            counters.count(&format!("flood-{n}"), MINUTE, start);
        }
        assert!(counters.len() <= counters.capacity());
        assert_eq!(counters.count("busy", MINUTE, start).count, 51);
    }

    #[test]
    fn expired_windows_are_swept_when_a_shard_fills() {
        let counters = MemoryCounters::new(64 * SHARDS);
        let start = Instant::now();
        for n in 0..8 * counters.capacity() {
            counters.count(&format!("old-{n}"), MINUTE, start);
        }
        assert_eq!(counters.len(), counters.capacity());
        let later = start + 2 * MINUTE;
        counters.count("new", MINUTE, later);
        // The shard "new" landed in was full of expired windows: all gone.
        assert_eq!(counters.len(), counters.capacity() - 63);
        assert_eq!(counters.count("new", MINUTE, later).count, 2);
    }
}
