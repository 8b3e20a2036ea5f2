//! Sessions and the digests of their refresh tokens, and the in-process
//! revocation feed.

use crate::store::InMemoryStore;
use async_trait::async_trait;
use futures_util::{
    StreamExt,
    stream::{self, BoxStream},
};
use std::{collections::HashMap, time::Duration};
use tokio::sync::broadcast::error::RecvError;
use trellis_domain::{ClientInfo, Session, SessionId, Timestamp, TokenDigest, UserId};
use trellis_ports::{
    NewSession, RepositoryError, RevocationFeed, RevocationNotice, Revoked, Rotation,
    SessionRepository,
};

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_id: HashMap<SessionId, Session>,
    tokens: HashMap<TokenDigest, Token>,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    session: SessionId,
    spent_at: Option<Timestamp>,
}

impl Sessions {
    /// Drops every session of `owner` (the cascade of deleting an account);
    /// the live ones, as ended.
    pub(crate) fn remove_owner(&mut self, owner: UserId, now: Timestamp) -> Vec<Revoked> {
        let ended: Vec<Revoked> = self
            .by_id
            .values()
            .filter(|session| session.user_id == owner && session.revoked_at.is_none())
            .map(|session| Revoked {
                id: session.id,
                at: now,
            })
            .collect();
        self.by_id.retain(|_, session| session.user_id != owner);
        let by_id = &self.by_id;
        self.tokens
            .retain(|_, token| by_id.contains_key(&token.session));
        ended
    }

    /// Ends `id` if it is live; the notice to send.
    fn end(&mut self, id: SessionId, now: Timestamp) -> Option<Revoked> {
        let session = self
            .by_id
            .get_mut(&id)
            .filter(|session| session.is_live(now))?;
        session.revoked_at = Some(now);
        Some(Revoked { id, at: now })
    }
}

impl InMemoryStore {
    pub(crate) fn announce(&self, ended: impl IntoIterator<Item = Revoked>) {
        for revoked in ended {
            // No subscriber is no one to tell.
            let _ = self.revocations.send(RevocationNotice::Revoked(revoked));
        }
    }
}

#[async_trait]
impl SessionRepository for InMemoryStore {
    async fn create(&self, new: NewSession) -> Result<Session, RepositoryError> {
        let mut state = self.write();
        if !state.users.contains(new.user_id) {
            return Err(RepositoryError::ReferenceMissing {
                constraint: "sessions_user_id_fkey".into(),
            });
        }
        let now = state.stamp();
        let session = Session {
            id: new.id,
            user_id: new.user_id,
            created_at: now,
            last_used_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            user_agent: new.client.user_agent,
            ip: new.client.ip,
        };
        state.sessions.by_id.insert(session.id, session.clone());
        state.sessions.tokens.insert(
            new.token,
            Token {
                session: session.id,
                spent_at: None,
            },
        );
        Ok(session)
    }

    async fn rotate(
        &self,
        presented: TokenDigest,
        successor: TokenDigest,
        grace: Duration,
        client: &ClientInfo,
    ) -> Result<Rotation, RepositoryError> {
        let mut state = self.write();
        let now = state.stamp();
        let Some(token) = state.sessions.tokens.get(&presented).copied() else {
            return Ok(Rotation::Invalid);
        };
        let Some(session) = state
            .sessions
            .by_id
            .get(&token.session)
            .filter(|session| session.is_live(now))
            .cloned()
        else {
            return Ok(Rotation::Invalid);
        };
        let rotation = match token.spent_at {
            None => {
                let sessions = &mut state.sessions;
                if let Some(token) = sessions.tokens.get_mut(&presented) {
                    token.spent_at = Some(now);
                }
                sessions.tokens.insert(
                    successor,
                    Token {
                        session: session.id,
                        spent_at: None,
                    },
                );
                let session = sessions.by_id.get_mut(&session.id).map(|stored| {
                    stored.last_used_at = now;
                    stored.user_agent = client.user_agent.clone().or(stored.user_agent.take());
                    stored.ip = client.ip.or(stored.ip);
                    stored.clone()
                });
                session.map_or(Rotation::Invalid, Rotation::Rotated)
            }
            Some(spent_at) if now - spent_at <= grace => Rotation::Replayed { session, spent_at },
            Some(_) => {
                let ended = state.sessions.end(session.id, now);
                drop(state);
                self.announce(ended);
                Rotation::Reused
            }
        };
        Ok(rotation)
    }

    async fn active(&self, user: UserId) -> Result<Vec<Session>, RepositoryError> {
        let state = self.read();
        let now = time::OffsetDateTime::now_utc();
        let mut live: Vec<Session> = state
            .sessions
            .by_id
            .values()
            .filter(|session| session.user_id == user && session.is_live(now))
            .cloned()
            .collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(live)
    }

    async fn revoke(
        &self,
        user: UserId,
        id: SessionId,
    ) -> Result<Option<Revoked>, RepositoryError> {
        let mut state = self.write();
        let now = state.stamp();
        if state
            .sessions
            .by_id
            .get(&id)
            .is_none_or(|session| session.user_id != user)
        {
            return Ok(None);
        }
        let ended = state.sessions.end(id, now);
        drop(state);
        self.announce(ended);
        Ok(ended)
    }

    async fn revoke_all(&self, user: UserId) -> Result<Vec<Revoked>, RepositoryError> {
        let mut state = self.write();
        let now = state.stamp();
        let ids: Vec<SessionId> = state
            .sessions
            .by_id
            .values()
            .filter(|session| session.user_id == user)
            .map(|session| session.id)
            .collect();
        let ended: Vec<Revoked> = ids
            .into_iter()
            .filter_map(|id| state.sessions.end(id, now))
            .collect();
        drop(state);
        self.announce(ended.iter().copied());
        Ok(ended)
    }

    async fn revoked_since(&self, since: Timestamp) -> Result<Vec<Revoked>, RepositoryError> {
        Ok(self
            .read()
            .sessions
            .by_id
            .values()
            .filter_map(|session| {
                session
                    .revoked_at
                    .filter(|at| *at > since)
                    .map(|at| Revoked { id: session.id, at })
            })
            .collect())
    }

    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let mut state = self.write();
        let sessions = &mut state.sessions;
        let count = sessions.by_id.len();
        sessions
            .by_id
            .retain(|_, session| session.expires_at >= before);
        let by_id = &sessions.by_id;
        sessions
            .tokens
            .retain(|_, token| by_id.contains_key(&token.session));
        Ok((count - sessions.by_id.len()) as u64)
    }
}

impl RevocationFeed for InMemoryStore {
    fn subscribe(&self) -> BoxStream<'static, RevocationNotice> {
        let notices = stream::unfold(self.revocations.subscribe(), |mut notices| async move {
            match notices.recv().await {
                Ok(notice) => Some((notice, notices)),
                // A subscriber that fell behind lost notices: rebuild.
                Err(RecvError::Lagged(_)) => Some((RevocationNotice::Resync, notices)),
                Err(RecvError::Closed) => None,
            }
        });
        stream::once(async { RevocationNotice::Resync })
            .chain(notices)
            .boxed()
    }
}
