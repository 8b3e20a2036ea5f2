//! Password hashing, a port so that tests can use a cheap cost and the
//! services never touch bcrypt's blocking work directly.

use crate::BoxError;
use async_trait::async_trait;
use trellis_domain::{Password, PasswordHash};

/// Why a hash or a verification did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot is taken and the queue behind them is full: retry
    /// later. Nothing was hashed.
    #[error("password hashing is saturated")]
    Busy,
    /// Hashing failed (a corrupt stored hash, or the worker pool went away).
    #[error("password hashing failed")]
    Failed(#[source] BoxError),
}

/// What checking a password against its stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is wrong, or there was no account.
    Mismatch,
    /// The password is right and its hash is as strong as new ones.
    Match,
    /// The password is right, but its hash was made with other parameters
    /// (another bcrypt cost, say): the caller should store a fresh hash.
    MatchOutdated,
}

impl Verification {
    /// Whether the password is right.
    pub fn matches(self) -> bool {
        !matches!(self, Self::Mismatch)
    }
}

/// Hashes and verifies passwords.
///
/// Implementations MUST do the CPU-heavy work off the async executor
/// threads, with bounded concurrency and a bounded queue (past it:
/// [`HashError::Busy`]), so that a storm of logins cannot starve other
/// requests. A call whose future is dropped before its work starts MUST NOT
/// be hashed, and a dropped call whose work has started MUST keep its slot
/// until the work ends.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// A salted hash of `password`, at the current strength.
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError>;

    /// Whether `password` matches `hash`.
    ///
    /// With `hash: None` (no such account) it MUST take as long as a real
    /// verification at the current strength and return
    /// [`Verification::Mismatch`], so that response timing does not reveal
    /// which e-mail addresses have accounts.
    async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<Verification, HashError>;
}
