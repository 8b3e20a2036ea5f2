//! bcrypt, on the blocking pool, a bounded number at a time behind a
//! bounded queue.

use async_trait::async_trait;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;
use trellis_domain::{Password, PasswordHash};
use trellis_ports::{HashError, PasswordHasher, Verification};

/// The cost factors bcrypt accepts.
const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=31;
/// Hashes that may wait for a free core, per core.
const QUEUED_PER_CORE: usize = 4;

/// A bcrypt cost outside what the algorithm accepts.
#[derive(Debug, thiserror::Error)]
#[error("bcrypt cost must be between 4 and 31, got {0}")]
pub struct InvalidCost(pub u32);

/// Hashes passwords with bcrypt.
///
/// Every hash and verification runs on tokio's blocking pool, never on an
/// async worker. At most one per CPU core runs at a time, and the permit
/// that says so travels into the blocking task, so a request dropped
/// mid-hash still holds its core until the hash ends. Behind the running
/// ones, a queue of four per core waits; past it, [`HashError::Busy`] at
/// once. A request dropped while it waits (its client went away) is never
/// hashed.
///
/// A verification against no hash (an unknown e-mail) checks against a
/// dummy hash made at start at the current cost, so it takes as long as a
/// real one. A stored hash of a lower cost is verified and then padded to
/// the time a current-cost verification takes, and reported as
/// [`Verification::MatchOutdated`] when it matches, so that the caller
/// stores a fresh hash (after raising `BCRYPT_COST`, or for accounts
/// imported from the old service).
///
/// bcrypt reads only the first 72 bytes of a password, as the service this
/// one replaces did, so hashes it stored keep verifying.
#[derive(Debug, Clone)]
pub struct BcryptHasher {
    cost: u32,
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    dummy: Arc<str>,
    /// How long one hash at `cost` took at start.
    reference: Duration,
}

impl BcryptHasher {
    /// A hasher of the given cost (production uses 12 or more; tests may go
    /// as low as bcrypt's minimum, 4), running one hash per core with four
    /// per core queued. Makes the dummy hash now: call it at start.
    pub fn new(cost: u32) -> Result<Self, InvalidCost> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_bounds(cost, cores, QUEUED_PER_CORE * cores)
    }

    /// A hasher running at most `running` hashes at once with at most
    /// `queued` waiting behind them.
    pub fn with_bounds(cost: u32, running: usize, queued: usize) -> Result<Self, InvalidCost> {
        if !BCRYPT_COSTS.contains(&cost) {
            return Err(InvalidCost(cost));
        }
        let started = Instant::now();
        let secret = uuid::Uuid::new_v4().to_string();
        // A valid cost and a password under 72 bytes: this cannot fail.
        let dummy = bcrypt::hash(secret, cost).map_err(|_| InvalidCost(cost))?;
        let running = running.max(1);
        Ok(Self {
            cost,
            running: Arc::new(Semaphore::new(running)),
            admitted: Arc::new(Semaphore::new(running + queued)),
            dummy: dummy.into(),
            reference: started.elapsed(),
        })
    }

    /// The cost factor in use.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Runs `work` on the blocking pool once a core is free, or answers
    /// [`HashError::Busy`] if the queue is full. Returns the result and how
    /// long the work itself took.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<(T, Duration), HashError> {
        let admission = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        let slot = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|closed| HashError::Failed(Box::new(closed)))?;
        tokio::task::spawn_blocking(move || {
            let _held = (admission, slot);
            let started = Instant::now();
            work().map(|value| (value, started.elapsed()))
        })
        .await
        .map_err(|join| HashError::Failed(Box::new(join)))?
        .map_err(|bcrypt| HashError::Failed(Box::new(bcrypt)))
    }
}

/// The cost a bcrypt hash was made with, if it is one.
fn cost_of(hash: &str) -> Option<u32> {
    hash.parse::<bcrypt::HashParts>()
        .ok()
        .map(|parts| parts.get_cost())
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        let cost = self.cost;
        let (hash, _) = self
            .run(move || bcrypt::hash(password.expose(), cost))
            .await?;
        Ok(PasswordHash::new(hash))
    }

    async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<Verification, HashError> {
        let (hash, known) = match hash {
            Some(hash) => (Arc::<str>::from(hash.expose()), true),
            None => (Arc::clone(&self.dummy), false),
        };
        let cost = cost_of(&hash);
        let (matches, took) = self
            .run(move || bcrypt::verify(password.expose(), &hash))
            .await?;
        if cost.is_some_and(|cost| cost < self.cost) {
            tokio::time::sleep(self.reference.saturating_sub(took)).await;
        }
        Ok(match (known && matches, cost == Some(self.cost)) {
            (false, _) => Verification::Mismatch,
            (true, true) => Verification::Match,
            (true, false) => Verification::MatchOutdated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_dummy_never_matches() {
        let hasher = BcryptHasher::new(4).unwrap();
        let hash = hasher.hash(password("correct horse")).await.unwrap();
        assert!(hash.expose().starts_with("$2b$04$"));
        let check = |raw: &'static str, hash: Option<PasswordHash>| {
            let hasher = hasher.clone();
            async move { hasher.verify(password(raw), hash).await.unwrap() }
        };
        assert_eq!(
            check("correct horse", Some(hash.clone())).await,
            Verification::Match
        );
        assert_eq!(
            check("wrong horse!", Some(hash)).await,
            Verification::Mismatch
        );
        assert_eq!(check("correct horse", None).await, Verification::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_of_another_cost_matches_as_outdated() {
        let old = BcryptHasher::new(4).unwrap();
        let hash = old.hash(password("correct horse")).await.unwrap();
        let current = BcryptHasher::new(5).unwrap();
        assert_eq!(
            current
                .verify(password("correct horse"), Some(hash.clone()))
                .await
                .unwrap(),
            Verification::MatchOutdated
        );
        assert_eq!(
            current
                .verify(password("wrong horse!"), Some(hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn refuses_costs_bcrypt_cannot_do() {
        assert!(BcryptHasher::new(3).is_err());
        assert!(BcryptHasher::new(32).is_err());
        assert_eq!(BcryptHasher::new(12).unwrap().cost(), 12);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let hasher = BcryptHasher::new(4).unwrap();
        let corrupt = PasswordHash::new("not a bcrypt hash".into());
        assert!(matches!(
            hasher.verify(password("whatever1"), Some(corrupt)).await,
            Err(HashError::Failed(_))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_queue_hashing_is_refused_at_once() {
        let hasher = BcryptHasher::with_bounds(10, 1, 2).unwrap();
        let calls: Vec<_> = (0..6)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(password("correct horse")).await })
            })
            .collect();
        let mut busy = 0;
        for call in calls {
            if matches!(call.await.unwrap(), Err(HashError::Busy)) {
                busy += 1;
            }
        }
        assert_eq!(busy, 3, "one running and two queued; the rest refused");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_hash_keeps_its_core_until_it_ends_and_a_dropped_wait_is_never_run() {
        let hasher = BcryptHasher::with_bounds(12, 1, 8).unwrap();
        let first = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash(password("correct horse")).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        first.abort();
        // The aborted hash still runs: its core is not free.
        assert_eq!(hasher.running.available_permits(), 0);
        let waiting = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash(password("correct horse")).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting.abort();
        let _ = waiting.await;
        // The waiting one gave its queue place back without running.
        assert_eq!(hasher.admitted.available_permits(), 8);
        while hasher.running.available_permits() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(hasher.admitted.available_permits(), 9);
    }
}
