//! Which sessions have ended, kept in memory on every instance.

use futures_util::StreamExt;
use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::Duration,
};
use tokio::sync::broadcast;
use trellis_domain::{SessionId, Timestamp};
use trellis_ports::{RevocationFeed, RevocationNotice, Revocations, SessionRepository};

/// How long after a failed rebuild it is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How often ended sessions whose access tokens can no longer be valid
/// are forgotten.
const PRUNE: Duration = Duration::from_secs(60);

/// The ended sessions whose access tokens may still be unexpired: each is
/// kept for the access-token lifetime after it ended, then forgotten (its
/// tokens are refused by their expiry by then).
///
/// [`RevocationList::follow`] keeps it current from a [`RevocationFeed`]:
/// a notice adds a session within the feed's delay (a second at most, with
/// PostgreSQL's `LISTEN`), and every resync rebuilds it from the table, so
/// that nothing ended while the feed was down is missed. Checking a session
/// is a read lock and a hash lookup: no I/O per request.
#[derive(Debug)]
pub struct RevocationList {
    ended: RwLock<HashMap<SessionId, Timestamp>>,
    remember: Duration,
    changes: broadcast::Sender<SessionId>,
}

impl RevocationList {
    /// A list keeping each ended session for `remember` (the access-token
    /// lifetime).
    pub fn new(remember: Duration) -> Self {
        Self {
            ended: RwLock::default(),
            remember,
            changes: broadcast::channel(1024).0,
        }
    }

    /// How many ended sessions are held.
    pub fn len(&self) -> usize {
        self.ended
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sessions that end from now on, as they are noticed (for streams
    /// that must close when their session ends).
    pub fn ending(&self) -> broadcast::Receiver<SessionId> {
        self.changes.subscribe()
    }

    /// Records that `id` ended `at`.
    pub fn insert(&self, id: SessionId, at: Timestamp) {
        let forget_at = at + self.remember;
        let added = self
            .ended
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, forget_at)
            .is_none();
        if added {
            let _ = self.changes.send(id);
        }
    }

    fn prune(&self, now: Timestamp) {
        self.ended
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, forget_at| *forget_at > now);
    }

    /// Keeps the list current until `stop` completes: applies `feed`'s
    /// notices, rebuilds from `sessions` on every resync (retrying each
    /// second while storage fails), and forgets what has expired.
    pub async fn follow(
        &self,
        sessions: &dyn SessionRepository,
        feed: &dyn RevocationFeed,
        stop: impl Future<Output = ()>,
    ) {
        let mut notices = feed.subscribe();
        let mut prune = tokio::time::interval(PRUNE);
        let mut retry = tokio::time::interval(RETRY);
        let mut stale = false;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                notice = notices.next() => match notice {
                    Some(RevocationNotice::Revoked(revoked)) => self.insert(revoked.id, revoked.at),
                    Some(RevocationNotice::Resync) => stale = !self.rebuild(sessions).await,
                    None => return,
                },
                _ = retry.tick(), if stale => stale = !self.rebuild(sessions).await,
                _ = prune.tick() => self.prune(time::OffsetDateTime::now_utc()),
            }
        }
    }

    /// Adds every session ended within the memory span; whether it could.
    async fn rebuild(&self, sessions: &dyn SessionRepository) -> bool {
        let since = time::OffsetDateTime::now_utc() - self.remember;
        match sessions.revoked_since(since).await {
            Ok(ended) => {
                for revoked in &ended {
                    self.insert(revoked.id, revoked.at);
                }
                tracing::debug!(ended = ended.len(), "ended sessions reloaded");
                true
            }
            Err(error) => {
                tracing::warn!(%error, "cannot reload ended sessions; retrying");
                false
            }
        }
    }
}

impl Revocations for RevocationList {
    fn is_revoked(&self, session: SessionId) -> bool {
        self.ended
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_sessions_are_forgotten_after_the_token_lifetime() {
        let list = RevocationList::new(Duration::from_secs(60));
        let now = time::OffsetDateTime::now_utc();
        let (old, recent) = (SessionId::generate(), SessionId::generate());
        list.insert(old, now - Duration::from_secs(120));
        list.insert(recent, now);
        assert!(list.is_revoked(old) && list.is_revoked(recent));
        list.prune(now);
        assert!(!list.is_revoked(old) && list.is_revoked(recent));
        assert!(!list.is_revoked(SessionId::generate()));
    }
}
