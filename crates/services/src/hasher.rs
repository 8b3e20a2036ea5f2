//! bcrypt, on the blocking pool, a bounded number at a time.

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::{OnceCell, Semaphore};
use trellis_domain::{Password, PasswordHash};
use trellis_ports::{HashError, PasswordHasher};

/// The cost factors bcrypt accepts.
const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=31;

/// A bcrypt cost outside what the algorithm accepts.
#[derive(Debug, thiserror::Error)]
#[error("bcrypt cost must be between 4 and 31, got {0}")]
pub struct InvalidCost(pub u32);

/// Hashes passwords with bcrypt.
///
/// Every hash and verification runs on tokio's blocking pool, never on an
/// async worker, and at most one per CPU core runs at a time: a storm of
/// logins queues here instead of starving the requests that need no bcrypt.
/// A verification against no hash (an unknown e-mail) checks against a dummy
/// hash of the same cost, so it takes just as long.
///
/// bcrypt reads only the first 72 bytes of a password, as the service this
/// one replaces did, so hashes it stored keep verifying.
#[derive(Debug, Clone)]
pub struct BcryptHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
}

impl BcryptHasher {
    /// A hasher of the given cost (production uses 12 or more; tests may go
    /// as low as bcrypt's minimum, 4).
    pub fn new(cost: u32) -> Result<Self, InvalidCost> {
        if !(BCRYPT_COSTS).contains(&cost) {
            return Err(InvalidCost(cost));
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(OnceCell::new()),
        })
    }

    /// The cost factor in use.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|closed| HashError(Box::new(closed)))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|join| HashError(Box::new(join)))?
            .map_err(|bcrypt| HashError(Box::new(bcrypt)))
    }

    /// A hash of a random password at this cost, made once.
    async fn dummy_hash(&self) -> Result<String, HashError> {
        self.dummy
            .get_or_try_init(|| {
                let cost = self.cost;
                let secret = uuid::Uuid::new_v4().to_string();
                self.run(move || bcrypt::hash(secret, cost))
            })
            .await
            .cloned()
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        let cost = self.cost;
        let hash = self
            .run(move || bcrypt::hash(password.expose(), cost))
            .await?;
        Ok(PasswordHash::new(hash))
    }

    async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        let (hash, known) = match hash {
            Some(hash) => (hash.expose().to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let matches = self
            .run(move || bcrypt::verify(password.expose(), &hash))
            .await?;
        Ok(known && matches)
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
        assert!(
            hasher
                .verify(password("correct horse"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(password("wrong horse!"), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(password("correct horse"), None)
                .await
                .unwrap()
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
        assert!(
            hasher
                .verify(password("whatever1"), Some(corrupt))
                .await
                .is_err()
        );
    }
}
