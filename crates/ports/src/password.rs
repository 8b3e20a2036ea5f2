//! Password hashing, a port so that tests can use a cheap cost and the
//! services never touch bcrypt's blocking work directly.

use crate::BoxError;
use async_trait::async_trait;
use trellis_domain::{Password, PasswordHash};

/// Hashing failed (a corrupt stored hash, or the worker pool went away).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError(#[source] pub BoxError);

/// Hashes and verifies passwords.
///
/// Implementations MUST do the CPU-heavy work off the async executor
/// threads, with bounded concurrency, so that a storm of logins cannot
/// starve other requests.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// A salted hash of `password`.
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError>;

    /// Whether `password` matches `hash`.
    ///
    /// With `hash: None` (no such account) it MUST take as long as a real
    /// verification and return `Ok(false)`, so that response timing does not
    /// reveal which e-mail addresses have accounts.
    async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError>;
}
