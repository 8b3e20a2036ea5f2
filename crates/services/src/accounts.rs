//! Signing up, logging in, and one's own profile.

use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{Email, NewUser, Password, ProfilePatch, User};
use trellis_ports::{
    AccountService, Actor, PasswordHasher, Registration, Resource, ServiceError, UserRepository,
};

/// The [`AccountService`] of Trellis.
#[derive(Clone)]
pub struct AccountsService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
}

impl std::fmt::Debug for AccountsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountsService")
    }
}

impl AccountsService {
    /// Accounts kept in `users`, passwords hashed by `hasher`.
    pub fn new(users: Arc<dyn UserRepository>, hasher: Arc<dyn PasswordHasher>) -> Self {
        Self { users, hasher }
    }
}

#[async_trait]
impl AccountService for AccountsService {
    async fn register(&self, registration: Registration) -> Result<User, ServiceError> {
        let hash = self.hasher.hash(registration.password).await?;
        let user = NewUser::register(registration.email, registration.full_name, hash);
        Ok(self.users.create(user).await?)
    }

    async fn login(&self, email: Email, password: Password) -> Result<User, ServiceError> {
        let (user, hash) = match self.users.find_credentials(&email).await? {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let verified = self.hasher.verify(password, hash).await?;
        match user {
            Some(user) if verified => Ok(user),
            _ => Err(ServiceError::InvalidCredentials),
        }
    }

    async fn me(&self, actor: &Actor) -> Result<User, ServiceError> {
        self.users
            .find_by_id(actor.id)
            .await?
            .ok_or(ServiceError::NotFound(Resource::User))
    }

    async fn update_me(&self, actor: &Actor, patch: ProfilePatch) -> Result<User, ServiceError> {
        patch
            .require_change()
            .map_err(|violation| ServiceError::Validation(vec![violation]))?;
        self.users
            .update_profile(actor.id, &patch)
            .await?
            .ok_or(ServiceError::NotFound(Resource::User))
    }
}
