//! Sessions: opening them at login, rotating their refresh tokens, ending
//! them, and knowing on every instance which have ended.

mod issuer;
mod revocations;

pub(crate) use issuer::digest_of;
pub use issuer::{RefreshKey, SessionIssuer, SessionPolicy};
pub use revocations::RevocationList;

use crate::admin::ensure_admin;
use async_trait::async_trait;
use issuer::digest;
use std::sync::Arc;
use trellis_domain::{ClientInfo, Password, RefreshToken, Session, SessionId, UserId, Violation};
use trellis_ports::{
    Actor, Grant, PasswordHasher, Resource, Revoked, Rotation, ServiceError, SessionService,
    UserRepository,
};

/// The [`SessionService`] of Trellis.
#[derive(Clone)]
pub struct SessionsService {
    issuer: SessionIssuer,
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    ended: Arc<RevocationList>,
}

impl std::fmt::Debug for SessionsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionsService")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl SessionsService {
    /// Sessions opened by `issuer` for the accounts in `users`, whose
    /// passwords `hasher` checks. What this instance ends goes into `ended`
    /// at once, not only when the feed tells of it: the instance that
    /// answered a logout refuses the token from its next request on, even
    /// while its feed is down.
    pub fn new(
        issuer: SessionIssuer,
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        ended: Arc<RevocationList>,
    ) -> Self {
        Self {
            issuer,
            users,
            hasher,
            ended,
        }
    }

    fn record(&self, ended: impl IntoIterator<Item = Revoked>) {
        for revoked in ended {
            self.ended.insert(revoked.id, revoked.at);
        }
    }

    async fn end_every_session(&self, user: UserId) -> Result<(), ServiceError> {
        let ended = self.issuer.sessions.revoke_all(user).await?;
        self.record(ended);
        Ok(())
    }

    async fn grant(
        &self,
        session: Session,
        refresh_token: RefreshToken,
        issued_at: trellis_domain::Timestamp,
    ) -> Result<Grant, ServiceError> {
        let user = self
            .users
            .find_by_id(session.user_id)
            .await?
            .ok_or(ServiceError::InvalidRefreshToken)?;
        Ok(Grant {
            user,
            session: session.id,
            refresh_token,
            issued_at,
        })
    }
}

#[async_trait]
impl SessionService for SessionsService {
    async fn refresh(
        &self,
        token: RefreshToken,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError> {
        let successor = self.issuer.successor(&token);
        let rotation = self
            .issuer
            .sessions
            .rotate(
                digest(&token),
                digest(&successor),
                self.issuer.policy.grace,
                &client,
            )
            .await?;
        match rotation {
            Rotation::Rotated(session) => {
                let issued_at = session.last_used_at;
                self.grant(session, successor, issued_at).await
            }
            Rotation::Replayed { session, spent_at } => {
                self.grant(session, successor, spent_at).await
            }
            Rotation::Reused => {
                tracing::warn!(
                    "a spent refresh token came back after the grace; its session is ended"
                );
                Err(ServiceError::InvalidRefreshToken)
            }
            Rotation::Invalid => Err(ServiceError::InvalidRefreshToken),
        }
    }

    async fn list(&self, actor: &Actor) -> Result<Vec<Session>, ServiceError> {
        Ok(self.issuer.sessions.active(actor.id).await?)
    }

    async fn end(&self, actor: &Actor, session: SessionId) -> Result<(), ServiceError> {
        let ended = self.issuer.sessions.revoke(actor.id, session).await?;
        let ended = ended.ok_or(ServiceError::NotFound(Resource::Session))?;
        self.record([ended]);
        Ok(())
    }

    async fn end_all(&self, actor: &Actor) -> Result<(), ServiceError> {
        self.end_every_session(actor.id).await
    }

    async fn change_password(
        &self,
        actor: &Actor,
        current: Password,
        new: Password,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError> {
        let user = self
            .users
            .find_by_id(actor.id)
            .await?
            .ok_or(ServiceError::NotFound(Resource::User))?;
        let hash = self
            .users
            .find_credentials(&user.email)
            .await?
            .map(|(_, hash)| hash);
        if !self.hasher.verify(current.clone(), hash).await?.matches() {
            return Err(ServiceError::Validation(vec![Violation::new(
                "current_password",
                "does not match",
            )]));
        }
        if new.expose() == current.expose() {
            return Err(ServiceError::Validation(vec![Violation::new(
                "new_password",
                "must differ from the current password",
            )]));
        }
        let hash = self.hasher.hash(new).await?;
        self.users.set_password_hash(user.id, hash).await?;
        self.end_every_session(user.id).await?;
        self.issuer.open(user, client).await
    }

    async fn end_user_sessions(&self, actor: &Actor, user: UserId) -> Result<(), ServiceError> {
        ensure_admin(self.users.as_ref(), actor).await?;
        if self.users.find_by_id(user).await?.is_none() {
            return Err(ServiceError::NotFound(Resource::User));
        }
        self.end_every_session(user).await
    }
}
