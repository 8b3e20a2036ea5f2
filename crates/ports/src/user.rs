//! Where accounts are kept.

use crate::RepositoryError;
use async_trait::async_trait;
use trellis_domain::{
    Email, NewUser, Page, PageRequest, PasswordHash, ProfilePatch, Role, User, UserId,
};

/// Stores accounts.
///
/// E-mail addresses arrive normalized ([`Email`] is lower-cased), and an
/// implementation MUST still treat them as unique regardless of case.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Stores a new account with its password hash.
    ///
    /// MUST return [`RepositoryError::EmailTaken`] if an account with the same
    /// e-mail exists, also when two creations race (the check and the write
    /// are one atomic step).
    async fn create(&self, user: NewUser) -> Result<User, RepositoryError>;

    /// The account with this id, if any.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError>;

    /// The account with this e-mail, if any.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// The account with this e-mail and its password hash, for logging in.
    /// The only way a hash leaves storage.
    async fn find_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, RepositoryError>;

    /// Applies the fields present in `patch` and bumps `updated_at`.
    /// `Ok(None)` if there is no such account.
    ///
    /// MUST return [`RepositoryError::EmailTaken`] if the new e-mail belongs to
    /// another account.
    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
    ) -> Result<Option<User>, RepositoryError>;

    /// Replaces the account's password hash (a re-hash at a new cost, or a
    /// new password). `Ok(false)` if there is no such account.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
    ) -> Result<bool, RepositoryError>;

    /// Sets the role and bumps `updated_at`. `Ok(None)` if there is no such account.
    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, RepositoryError>;

    /// Deletes the account and, in the same atomic step, all its projects.
    /// `Ok(false)` if there was no such account.
    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError>;

    /// One page of all accounts, newest first (`created_at` descending, ties
    /// by `id` ascending), with the total count.
    async fn page(&self, request: PageRequest) -> Result<Page<User>, RepositoryError>;
}
