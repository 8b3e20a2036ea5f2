//! Telling every instance that a project write has committed: `NOTIFY`
//! on [`EVENT_COMMITTED`] with the owner's id, sent by the instance that
//! made the write, after its commit, from a transaction of its own.
//!
//! Not from the events trigger (as migration V4 did): a transaction that
//! calls `NOTIFY` takes one database-wide lock at commit and holds it
//! through its WAL flush, so every project write in the database would
//! commit one after another. Announced afterwards, writes commit together,
//! and one `NOTIFY` transaction names every owner written meanwhile.
//!
//! A notice can now be missed without a reconnection (an instance that
//! stops between its commit and its notice, a write made outside Trellis,
//! a full queue here): the log is the truth, and the hub reads it after
//! every stream's last event at a fixed interval as well.

use crate::{failure, listener::EVENT_COMMITTED};
use deadpool_postgres::WeakPool;
use std::{collections::HashSet, time::Duration};
use tokio::sync::mpsc;
use tokio_postgres::types::Type;
use uuid::Uuid;

/// Owners waiting to be announced before new ones are dropped (the hub's
/// periodic read of the log delivers those).
const QUEUE: usize = 4096;

/// The owners whose writes have committed, for the announcing task.
#[derive(Debug, Clone)]
pub(crate) struct Announcer {
    queue: mpsc::Sender<Uuid>,
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
        let (queue, owners) = mpsc::channel(QUEUE);
        runtime.spawn(announce(owners, pool, timeout));
        Self { queue }
    }

    /// A write of `owner`'s projects has committed.
    pub(crate) fn committed(&self, owner: Uuid) {
        // Full: announcements are behind; the periodic read catches up.
        let _ = self.queue.try_send(owner);
    }
}

/// Announces what `owners` receives, every owner queued while the last
/// announcement ran in the next one.
async fn announce(mut owners: mpsc::Receiver<Uuid>, pool: WeakPool, timeout: Duration) {
    while let Some(first) = owners.recv().await {
        let mut batch = HashSet::from([first]);
        while let Ok(owner) = owners.try_recv() {
            batch.insert(owner);
        }
        let Some(pool) = pool.upgrade() else { return };
        let batch: Vec<Uuid> = batch.into_iter().collect();
        let sent = tokio::time::timeout(timeout, async {
            let client = pool.get().await.map_err(failure::from_pool)?;
            client
                .query_typed(
                    "SELECT pg_notify($1, owner::text) FROM unnest($2::uuid[]) AS owner",
                    &[(&EVENT_COMMITTED, Type::TEXT), (&batch, Type::UUID_ARRAY)],
                )
                .await
                .map_err(failure::from_query)
        })
        .await
        .unwrap_or_else(|_| Err(failure::timed_out(timeout)));
        if let Err(error) = sent {
            tracing::warn!(%error, owners = batch.len(), "cannot announce committed events; streams get them at the next read of the log");
        }
    }
}
