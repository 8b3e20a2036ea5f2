//! The shared state and the clock that stamps it.

use crate::{
    attachments::Attachments, events::Events, idempotency::Keys, projects::Projects,
    sessions::Sessions, users::Users,
};
use async_trait::async_trait;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use time::{Duration, OffsetDateTime};
use tokio::sync::broadcast;
use trellis_domain::Timestamp;
use trellis_ports::{EventNotice, PoolStats, RepositoryError, RevocationNotice, StoreHealth};

/// Revocation notices kept for a slow subscriber before it must resync.
const NOTICE_BACKLOG: usize = 1024;
/// Event notices kept for a slow subscriber before it must catch up.
const EVENT_BACKLOG: usize = 4096;

/// Accounts and projects in memory, shared by every worker.
///
/// One lock guards every table so that deleting an account and its projects
/// (and queueing their attachments' blobs) is one atomic step. No lock is held across an `.await`.
#[derive(Debug)]
pub struct InMemoryStore {
    state: RwLock<State>,
    pub(crate) revocations: broadcast::Sender<RevocationNotice>,
    pub(crate) event_notices: broadcast::Sender<EventNotice>,
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            revocations: broadcast::channel(NOTICE_BACKLOG).0,
            event_notices: broadcast::channel(EVENT_BACKLOG).0,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) users: Users,
    pub(crate) projects: Projects,
    pub(crate) sessions: Sessions,
    pub(crate) events: Events,
    pub(crate) keys: Keys,
    pub(crate) attachments: Attachments,
    last_stamp: Option<Timestamp>,
}

impl State {
    /// Now, at PostgreSQL's microsecond precision, and strictly later than
    /// any stamp given before, so that "newest first" is never a tie.
    pub(crate) fn stamp(&mut self) -> Timestamp {
        let now = OffsetDateTime::now_utc();
        let now = now
            .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now);
        let stamp = match self.last_stamp {
            Some(last) if now <= last => last + Duration::microseconds(1),
            _ => now,
        };
        self.last_stamp = Some(stamp);
        stamp
    }
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state for reading. A panic in another thread cannot leave the
    /// state half-written (every mutation is validated before it starts), so
    /// a poisoned lock is safe to enter.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state for writing; see [`Self::read`].
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl StoreHealth for InMemoryStore {
    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}
