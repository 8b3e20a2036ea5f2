//! [`MemoryBlobs`]: blobs in a map, for the in-memory server and tests.

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, stream::BoxStream};
use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};
use trellis_domain::{BlobKey, Timestamp};
use trellis_ports::{BlobError, BlobStore, ByteRange, ByteStream, StoredBlob};

/// Blobs held in the process's memory (whole: unlike the other stores it
/// does buffer each body), lost when it ends. Clones share the blobs.
#[derive(Debug, Clone, Default)]
pub struct MemoryBlobs {
    blobs: Arc<RwLock<HashMap<BlobKey, Blob>>>,
}

#[derive(Debug)]
struct Blob {
    bytes: Bytes,
    modified: Timestamp,
}

impl MemoryBlobs {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    async fn put(&self, key: BlobKey, mut body: ByteStream) -> Result<u64, BlobError> {
        let mut bytes = BytesMut::new();
        while let Some(chunk) = body.next().await {
            bytes.extend_from_slice(&chunk.map_err(BlobError::Body)?);
        }
        let blob = Blob {
            bytes: bytes.freeze(),
            modified: Timestamp::now_utc(),
        };
        let size = blob.bytes.len() as u64;
        // A panic elsewhere cannot leave a map half-written: every write is
        // one insert or remove.
        let mut blobs = self.blobs.write().unwrap_or_else(PoisonError::into_inner);
        blobs.insert(key, blob);
        Ok(size)
    }

    async fn get(&self, key: BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let blobs = self.blobs.read().unwrap_or_else(PoisonError::into_inner);
        let bytes = &blobs.get(&key).ok_or(BlobError::NotFound)?.bytes;
        let bytes = match range {
            None => bytes.clone(),
            // Clamped to the blob, though the caller promised it is within.
            Some(range) => {
                let within = |offset: u64| {
                    usize::try_from(offset).map_or(bytes.len(), |offset| offset.min(bytes.len()))
                };
                let start = within(range.start);
                bytes.slice(start..within(range.end.saturating_add(1)).max(start))
            }
        };
        Ok(futures_util::stream::once(async move { Ok(bytes) }).boxed())
    }

    async fn delete(&self, key: BlobKey) -> Result<(), BlobError> {
        let mut blobs = self.blobs.write().unwrap_or_else(PoisonError::into_inner);
        blobs.remove(&key);
        Ok(())
    }

    fn list(&self) -> BoxStream<'static, Result<StoredBlob, BlobError>> {
        let blobs = self.blobs.read().unwrap_or_else(PoisonError::into_inner);
        let found: Vec<_> = blobs
            .iter()
            .map(|(key, blob)| {
                Ok(StoredBlob {
                    key: *key,
                    modified: blob.modified,
                })
            })
            .collect();
        futures_util::stream::iter(found).boxed()
    }
}
