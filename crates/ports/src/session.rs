//! Where sessions are kept (driven: [`SessionRepository`]), how instances
//! learn that one ended (driven: [`RevocationFeed`]), and what an inbound
//! adapter asks of them (driving: [`SessionService`], [`Revocations`]).

use crate::{Actor, RepositoryError, ServiceError};
use async_trait::async_trait;
use futures_util::stream::BoxStream;
use std::time::Duration;
use trellis_domain::{
    ClientInfo, Password, RefreshToken, Session, SessionId, Timestamp, TokenDigest, User, UserId,
};

/// A session about to be stored, with the digest of its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Chosen by the service (UUIDv7).
    pub id: SessionId,
    /// Whose it is.
    pub user_id: UserId,
    /// The digest of its first refresh token.
    pub token: TokenDigest,
    /// When it ends by itself.
    pub expires_at: Timestamp,
    /// The client that logged in.
    pub client: ClientInfo,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is spent now and its successor is the
    /// session's live token.
    Rotated(Session),
    /// The token was spent at `spent_at`, within the grace: the caller
    /// answers the same successor again (two tabs refreshing at once).
    Replayed {
        /// The session, still live.
        session: Session,
        /// When the token was spent.
        spent_at: Timestamp,
    },
    /// The token was spent before the grace: presumed stolen, so the whole
    /// session has been ended.
    Reused,
    /// No such token, or its session expired or ended.
    Invalid,
}

/// A session that ended, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    /// The session.
    pub id: SessionId,
    /// When it ended.
    pub at: Timestamp,
}

/// Stores sessions and the digests of their refresh tokens (never a token
/// itself).
#[async_trait]
pub trait SessionRepository: Send + Sync + 'static {
    /// Stores a new session and its first token.
    async fn create(&self, session: NewSession) -> Result<Session, RepositoryError>;

    /// Spends the token whose digest is `presented`, if it is live, and
    /// records `successor` as the session's live token, bumping
    /// `last_used_at` (and the client, as the refresh saw it); otherwise
    /// says why not (see [`Rotation`]), ending the session when a token
    /// spent more than `grace` ago comes back.
    ///
    /// MUST be atomic: of rotations of one token racing each other, exactly
    /// one is [`Rotation::Rotated`]; the others, within the grace, are
    /// [`Rotation::Replayed`] — never two live successors.
    async fn rotate(
        &self,
        presented: TokenDigest,
        successor: TokenDigest,
        grace: Duration,
        client: &ClientInfo,
    ) -> Result<Rotation, RepositoryError>;

    /// The user's live sessions (not ended, not expired), newest first.
    async fn active(&self, user: UserId) -> Result<Vec<Session>, RepositoryError>;

    /// Ends one of the user's sessions; when it ended. `Ok(None)` if the
    /// user has no such live session.
    async fn revoke(&self, user: UserId, id: SessionId)
    -> Result<Option<Revoked>, RepositoryError>;

    /// Ends every live session of the user; the sessions it ended.
    async fn revoke_all(&self, user: UserId) -> Result<Vec<Revoked>, RepositoryError>;

    /// The sessions ended after `since`, for an instance that must rebuild
    /// its list of ended sessions (at start, or after missing notices).
    async fn revoked_since(&self, since: Timestamp) -> Result<Vec<Revoked>, RepositoryError>;

    /// Deletes the sessions that expired before `before`, with their
    /// tokens; how many.
    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError>;
}

/// A notice of the [`RevocationFeed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationNotice {
    /// This session ended, on any instance.
    Revoked(Revoked),
    /// Notices may have been missed (the feed has just (re)connected):
    /// rebuild from [`SessionRepository::revoked_since`].
    Resync,
}

/// Tells every instance, within a second, which sessions end.
pub trait RevocationFeed: Send + Sync + 'static {
    /// The notices from now on. The first is [`RevocationNotice::Resync`],
    /// and another follows every reconnection, so that nothing ended while
    /// the feed was down is missed.
    fn subscribe(&self) -> BoxStream<'static, RevocationNotice>;
}

/// A session opened or carried on: what the inbound adapter needs to answer
/// with an access token and a refresh token.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Whose session it is.
    pub user: User,
    /// The session (the access token's `sid`).
    pub session: SessionId,
    /// Its live refresh token, for the client only.
    pub refresh_token: RefreshToken,
    /// When this grant was made: a replayed grant keeps its first time, so
    /// that the same access token can be answered again.
    pub issued_at: Timestamp,
}

/// Refreshing, listing and ending sessions.
#[async_trait]
pub trait SessionService: Send + Sync + 'static {
    /// Rotates `token` (see [`SessionRepository::rotate`]).
    /// [`ServiceError::InvalidRefreshToken`] unless it was live, or spent
    /// within the grace.
    async fn refresh(&self, token: RefreshToken, client: ClientInfo)
    -> Result<Grant, ServiceError>;

    /// The caller's live sessions, newest first.
    async fn list(&self, actor: &Actor) -> Result<Vec<Session>, ServiceError>;

    /// Ends one of the caller's sessions; [`ServiceError::NotFound`] if it
    /// has no such live session.
    async fn end(&self, actor: &Actor, session: SessionId) -> Result<(), ServiceError>;

    /// Ends every session of the caller.
    async fn end_all(&self, actor: &Actor) -> Result<(), ServiceError>;

    /// Changes the caller's password, if `current` is it, and opens a new
    /// session: every other session ends. [`ServiceError::Validation`] if
    /// `current` is wrong or `new` is the same.
    async fn change_password(
        &self,
        actor: &Actor,
        current: Password,
        new: Password,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError>;

    /// (Admins) ends every session of `user`; [`ServiceError::NotFound`] if
    /// there is no such account.
    async fn end_user_sessions(&self, actor: &Actor, user: UserId) -> Result<(), ServiceError>;
}

/// Whether a session has ended: asked on every authenticated request, so it
/// MUST answer from memory, without I/O.
pub trait Revocations: Send + Sync + 'static {
    /// Whether `session` has ended.
    fn is_revoked(&self, session: SessionId) -> bool;
}
