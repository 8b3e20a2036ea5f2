//! Keeps blob storage and the attachment rows in agreement: bytes whose row
//! went are removed (the sweep), and bytes no row names — an upload cut by
//! a crash before it was recorded — too (the reconcile).

use futures_util::{StreamExt, TryStreamExt, stream};
use std::{sync::Arc, time::Duration};
use trellis_domain::BlobKey;
use trellis_ports::{AttachmentRepository, BlobStore, Clock, ServiceError, StoredBlob};

/// How many queued deletions one round takes.
const SWEEP_BATCH: u32 = 100;
/// How many blobs are asked about at once by the reconcile.
const RECONCILE_BATCH: usize = 500;
/// How many deletions run at once.
const PARALLEL_DELETES: usize = 8;

/// Removes the bytes storage should no longer hold.
#[derive(Clone)]
pub struct AttachmentJanitor {
    rows: Arc<dyn AttachmentRepository>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AttachmentJanitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttachmentJanitor")
    }
}

impl AttachmentJanitor {
    /// The janitor of the blobs in `blobs` that `rows` name; `clock` tells
    /// how old a blob is.
    pub fn new(
        rows: Arc<dyn AttachmentRepository>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { rows, blobs, clock }
    }

    /// Removes every blob queued for deletion (of removed attachments, and
    /// of deleted projects and users); how many. A blob that cannot be
    /// removed now stays queued for the next sweep.
    pub async fn sweep(&self) -> Result<u64, ServiceError> {
        let mut removed = 0;
        loop {
            let queued = self.rows.pending_deletions(SWEEP_BATCH).await?;
            let done = self.delete_all(&queued).await;
            self.rows.deletions_done(&done).await?;
            removed += done.len() as u64;
            if queued.len() < SWEEP_BATCH as usize || done.len() < queued.len() {
                return Ok(removed);
            }
        }
    }

    /// Removes the blobs older than `grace` that no attachment names; how
    /// many. `grace` must be longer than any upload takes, since an upload's
    /// bytes are stored before its row is written.
    pub async fn reconcile(&self, grace: Duration) -> Result<u64, ServiceError> {
        let cutoff = self.clock.now() - grace;
        let mut old = self
            .blobs
            .list()
            .try_filter(|blob| std::future::ready(blob.modified < cutoff))
            .map_ok(|blob: StoredBlob| blob.key)
            .try_chunks(RECONCILE_BATCH);
        let mut removed = 0;
        while let Some(keys) = old.next().await {
            let keys = keys.map_err(|error| ServiceError::Unavailable(error.1.into()))?;
            let named = self.rows.existing(&keys).await?;
            let orphans: Vec<BlobKey> = keys.into_iter().filter(|k| !named.contains(k)).collect();
            let done = self.delete_all(&orphans).await;
            if !done.is_empty() {
                tracing::info!(
                    count = done.len(),
                    "removed stored files no attachment names"
                );
            }
            removed += done.len() as u64;
        }
        Ok(removed)
    }

    /// Deletes `keys`' blobs; those that are gone now.
    async fn delete_all(&self, keys: &[BlobKey]) -> Vec<BlobKey> {
        stream::iter(keys.iter().copied())
            .map(|key| async move {
                match self.blobs.delete(key).await {
                    Ok(()) => Some(key),
                    Err(error) => {
                        tracing::warn!(%key, error = %error, "could not remove a stored file; retrying later");
                        None
                    }
                }
            })
            .buffer_unordered(PARALLEL_DELETES)
            .filter_map(std::future::ready)
            .collect()
            .await
    }
}
