//! Where idempotency keys are kept (driven: [`IdempotencyKeys`]): a retried
//! create with the same key answers the project the first one created.

use crate::RepositoryError;
use async_trait::async_trait;
use std::time::Duration;
use trellis_domain::{IdempotencyKey, NewProject, Project, RequestFingerprint, Timestamp, UserId};
use uuid::Uuid;

/// How long a key's answer is kept: a key older than this is new again.
pub const KEY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a claim holds without an answer: a request that claimed a key
/// and neither answered nor released it within this (its process died) is
/// abandoned, and the next request with the key runs in its place. Longer
/// than any create can run (statements are cancelled long before).
pub const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// Proof that a request holds a key's claim: only its holder can complete
/// or release it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimToken(pub Uuid);

impl ClaimToken {
    /// A new, random token.
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or expired, or abandoned): this request runs, and
    /// completes or releases the claim with this token.
    Claimed(ClaimToken),
    /// A request with this fingerprint already created this project (as it
    /// was then): answer it again.
    Answered(Project),
    /// A request with this key and fingerprint is still running.
    Running,
    /// The key was used with another fingerprint.
    Mismatch,
}

/// Stores each owner's idempotency keys: the fingerprint of the request
/// that first used a key, a marker while it runs, and then its answer.
/// Keys are scoped to their owner, and go with the owner's account.
#[async_trait]
pub trait IdempotencyKeys: Send + Sync + 'static {
    /// Claims `key` of `owner` for a request with `fingerprint`, at `now`,
    /// atomically: of two requests claiming one free key at once, exactly
    /// one gets [`Claim::Claimed`]. A key answered or claimed more than
    /// [`KEY_RETENTION`] ago, or claimed more than [`CLAIM_LEASE`] ago and
    /// never answered, is free.
    ///
    /// MUST return [`RepositoryError::ReferenceMissing`] if `owner` does not
    /// exist.
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, RepositoryError>;

    /// Creates `project` as [`ProjectRepository::create`](crate::ProjectRepository::create)
    /// does and records it as the key's answer, in one atomic step: `None`
    /// (and nothing created) if the claim is no longer `token`'s.
    async fn create_claimed(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
        project: NewProject,
    ) -> Result<Option<Project>, RepositoryError>;

    /// Gives up the claim `token` holds on `key` without an answer (the
    /// request failed): the key is free again. A claim that is no longer
    /// `token`'s is left alone.
    async fn release(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
    ) -> Result<(), RepositoryError>;

    /// Forgets the keys claimed before `before`; returns how many.
    async fn sweep_keys(&self, before: Timestamp) -> Result<u64, RepositoryError>;
}
