//! Signing up, logging in, and one's own profile.

use crate::{LoginThrottle, SessionIssuer};
use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{ClientInfo, Draft, Email, NewUser, Password, ProfilePatch, User};
use trellis_ports::{
    AccountService, Actor, Grant, PasswordHasher, Registration, Resource, ServiceError,
    UserRepository, Verification,
};

/// The [`AccountService`] of Trellis.
#[derive(Clone)]
pub struct AccountsService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    sessions: SessionIssuer,
    throttle: Option<LoginThrottle>,
}

impl std::fmt::Debug for AccountsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountsService")
    }
}

impl AccountsService {
    /// Accounts kept in `users`, passwords hashed by `hasher`, logins
    /// opened as sessions by `sessions`.
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        sessions: SessionIssuer,
    ) -> Self {
        Self {
            users,
            hasher,
            sessions,
            throttle: None,
        }
    }

    /// Also refuses logins for an account that failed too often lately.
    pub fn with_login_throttle(mut self, throttle: LoginThrottle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Stores a fresh hash of `password` for `user`, whose stored hash is of
    /// another strength. A failure leaves the old hash, which still works.
    async fn rehash(&self, user: &User, password: Password) {
        let stored: Result<(), ServiceError> = match self.hasher.hash(password).await {
            Ok(hash) => self
                .users
                .set_password_hash(user.id, hash)
                .await
                .map(drop)
                .map_err(Into::into),
            Err(error) => Err(error.into()),
        };
        match stored {
            Ok(()) => tracing::info!(user_id = %user.id, "password re-hashed at the current cost"),
            Err(error) => tracing::warn!(user_id = %user.id, %error, "password re-hash failed"),
        }
    }
}

#[async_trait]
impl AccountService for AccountsService {
    async fn register(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError> {
        let hash = self.hasher.hash(registration.password).await?;
        let user = NewUser::register(registration.email, registration.full_name, hash);
        let user = self.users.create(user).await?;
        self.sessions.open(user, client).await
    }

    async fn login(
        &self,
        email: Email,
        password: Password,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError> {
        if let Some(throttle) = &self.throttle {
            throttle.check(&email).await?;
        }
        let (user, hash) = match self.users.find_credentials(&email).await? {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let verification = self.hasher.verify(password.clone(), hash).await?;
        match (user, verification) {
            (Some(user), Verification::Match) => self.sessions.open(user, client).await,
            (Some(user), Verification::MatchOutdated) => {
                self.rehash(&user, password).await;
                self.sessions.open(user, client).await
            }
            _ => {
                if let Some(throttle) = &self.throttle {
                    throttle.record_failure(&email).await;
                }
                Err(ServiceError::InvalidCredentials)
            }
        }
    }

    async fn me(&self, actor: &Actor) -> Result<User, ServiceError> {
        self.users
            .find_by_id(actor.id)
            .await?
            .ok_or(ServiceError::NotFound(Resource::User))
    }

    async fn update_me(
        &self,
        actor: &Actor,
        draft: Draft<ProfilePatch>,
    ) -> Result<User, ServiceError> {
        let patch = draft.into_patch().map_err(ServiceError::Validation)?;
        self.users
            .update_profile(actor.id, &patch)
            .await?
            .ok_or(ServiceError::NotFound(Resource::User))
    }
}
