//! Telling every instance that a project write has committed: `NOTIFY`
//! on [`EVENT_COMMITTED`] naming the owner, sent by the instance that made
//! the write, after it, from a transaction of its own.
//!
//! Not from the events trigger (as migration V4 did): a transaction that
//! calls `NOTIFY` takes one database-wide lock at commit and holds it
//! through its WAL flush, so every project write in the database would
//! commit one after another. Announced afterwards, writes commit together,
//! and one `NOTIFY` transaction names every owner written meanwhile.
//!
//! Every write is announced however it ends (done, refused, timed out, or
//! dropped with its request): one that committed unseen is announced too,
//! and a notice for nothing costs a read of the log. A notice can still be
//! missed without a reconnection (an instance that stops between its commit
//! and its notice, a write made outside Trellis, announcements that fail or
//! fall [`PENDING`] behind): the log is the truth, and the hub reads it
//! after every stream's last event at a fixed interval as well.

use crate::{failure, listener::EVENT_COMMITTED};
use deadpool_postgres::{Object, WeakPool};
use std::{
    collections::HashSet,
    mem,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::sync::mpsc;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

/// How long after a first write the announcement waits for others to join
/// it: at most one `NOTIFY` transaction (and its WAL flush) per window,
/// however fast one owner writes; a few ms of the 100 ms an event may take.
const GATHER: Duration = Duration::from_millis(5);

/// Owners waiting to be announced before new ones are left to the hub's
/// periodic read of the log.
const PENDING: usize = 65_536;

/// The payload is `"<id> <owner>"`, as V4's trigger sent it: an instance of
/// an earlier version reads the owner's log after any id below this one,
/// so it keeps hearing writes while instances are upgraded one by one.
const PAYLOAD: &str = "SELECT pg_notify($1, '9223372036854775807 ' || owner::text) \
                       FROM unnest($2::uuid[]) AS owner";

/// The owners whose writes have ended, for the announcing task.
#[derive(Debug, Clone)]
pub(crate) struct Announcer {
    pending: Arc<Mutex<HashSet<Uuid>>>,
    /// Holds one signal at most: that `pending` has owners.
    wake: mpsc::Sender<()>,
}

impl Announcer {
    /// Starts the task that announces on connections of `pool`, each
    /// announcement bounded by `timeout`. It ends when every clone of the
    /// announcer is dropped.
    pub(crate) fn start(
        runtime: &tokio::runtime::Handle,
        pool: WeakPool,
        timeout: Duration,
    ) -> Self {
        let pending = Arc::default();
        let (wake, woken) = mpsc::channel(1);
        runtime.spawn(announce(Arc::clone(&pending), woken, pool, timeout));
        Self { pending, wake }
    }

    /// Announces, when dropped, a write of `owner`'s projects: hold it
    /// across the write, so that the write is announced however it ends.
    pub(crate) fn writing(&self, owner: Uuid) -> Writing<'_> {
        Writing {
            announcer: self,
            owner,
        }
    }

    fn ended(&self, owner: Uuid) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.len() >= PENDING {
                return;
            }
            pending.insert(owner);
        }
        // Full: the task is already told.
        let _ = self.wake.try_send(());
    }
}

/// A write in progress, announced when this is dropped.
#[derive(Debug)]
pub(crate) struct Writing<'a> {
    announcer: &'a Announcer,
    owner: Uuid,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.announcer.ended(self.owner);
    }
}

/// Announces the owners `pending` holds each time `woken` says so: every
/// owner whose write ended within [`GATHER`] of the first, or while the
/// last announcement ran, in one.
async fn announce(
    pending: Arc<Mutex<HashSet<Uuid>>>,
    mut woken: mpsc::Receiver<()>,
    pool: WeakPool,
    timeout: Duration,
) {
    while woken.recv().await.is_some() {
        tokio::time::sleep(GATHER).await;
        let owners: Vec<Uuid> =
            mem::take(&mut *pending.lock().unwrap_or_else(PoisonError::into_inner))
                .into_iter()
                .collect();
        if owners.is_empty() {
            continue;
        }
        let Some(pool) = pool.upgrade() else { return };
        let sent = match tokio::time::timeout(timeout, pool.get()).await {
            Ok(Ok(client)) => send(client, &owners, timeout).await,
            Ok(Err(error)) => Err(failure::from_pool(error)),
            Err(_) => Err(failure::timed_out(timeout)),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, owners = owners.len(), "cannot announce committed events; streams get them at the next read of the log");
        }
    }
}

/// One `NOTIFY` per owner, in one transaction on `client`; a connection
/// that did not answer in time is dropped, not returned to the pool.
async fn send(
    client: Object,
    owners: &[Uuid],
    timeout: Duration,
) -> Result<(), trellis_ports::RepositoryError> {
    let params: [(&(dyn ToSql + Sync), Type); 2] =
        [(&EVENT_COMMITTED, Type::TEXT), (&owners, Type::UUID_ARRAY)];
    let notify = client.query_typed(PAYLOAD, &params);
    let outcome = tokio::time::timeout(timeout, notify).await;
    match outcome {
        Ok(result) => result.map(drop).map_err(failure::from_query),
        Err(_) => {
            drop(Object::take(client));
            Err(failure::timed_out(timeout))
        }
    }
}
