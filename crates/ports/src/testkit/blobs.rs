//! The contract of [`BlobStore`](crate::BlobStore), run with
//! [`blob_contract!`](crate::blob_contract) over a fresh, empty store per
//! case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{BlobError, BlobStore, ByteRange, ByteStream, StoredBlob};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use std::{collections::BTreeSet, sync::Arc};
use trellis_domain::{AttachmentId, BlobKey, ProjectId};

/// A fresh, empty blob store for one test case.
#[derive(Clone)]
pub struct Blobs {
    /// The store.
    pub store: Arc<dyn BlobStore>,
    /// Whatever must live as long as the case (a temporary directory, say).
    pub keep_alive: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blobs")
    }
}

/// Runs every blob store case against stores made by `$make` (an async
/// expression evaluating to [`Blobs`], evaluated once per case).
///
/// ```ignore
/// trellis_ports::blob_contract!(async { my_blobs().await });
/// ```
#[macro_export]
macro_rules! blob_contract {
    ($make:expr) => {
        $crate::blob_contract!(@cases $make;
            chunks_round_trip_whole,
            ranges_read_exactly_their_bytes,
            a_failing_body_is_returned_and_leaves_nothing,
            delete_is_idempotent,
            list_shows_exactly_the_stored_keys,
            a_body_of_many_parts_round_trips_intact,
            concurrent_puts_all_land,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let blobs: $crate::testkit::Blobs = $make.await;
                $crate::testkit::$case(blobs).await;
            }
        )+
    };
}

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

fn key() -> BlobKey {
    BlobKey::new(ProjectId::generate(), AttachmentId::generate())
}

fn body(chunks: Vec<Bytes>) -> ByteStream {
    futures_util::stream::iter(chunks.into_iter().map(Ok)).boxed()
}

/// Chunk `index` of `len` bytes of a body whose bytes all differ from
/// their neighbours' chunks, so a part out of order shows.
fn chunk(index: usize, len: usize) -> Bytes {
    let mut state = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

async fn read(blobs: &Blobs, key: BlobKey, range: Option<ByteRange>) -> Vec<u8> {
    let stream = blobs.store.get(key, range).await.expect("get");
    let chunks: Vec<Bytes> = stream.try_collect().await.expect("read the stream");
    chunks.concat()
}

async fn listed(blobs: &Blobs) -> Vec<StoredBlob> {
    blobs.store.list().try_collect().await.expect("list")
}

fn is_not_found<T>(result: Result<T, BlobError>) -> bool {
    matches!(result, Err(BlobError::NotFound))
}

/// What a body yields, chunk by chunk, is what comes back, and its size.
pub async fn chunks_round_trip_whole(blobs: Blobs) {
    let chunks = vec![chunk(0, 10), chunk(1, 1), chunk(2, 70_000), chunk(3, 3)];
    let expected = chunks.concat();
    let key = key();
    let size = blobs.store.put(key, body(chunks)).await.unwrap();
    assert_eq!(size, expected.len() as u64);
    assert_eq!(read(&blobs, key, None).await, expected);

    let empty = self::key();
    assert_eq!(blobs.store.put(empty, body(vec![])).await.unwrap(), 0);
    assert_eq!(read(&blobs, empty, None).await, Vec::<u8>::new());

    // Written again, a key holds only the new bytes.
    let replaced = chunk(9, 5);
    blobs
        .store
        .put(key, body(vec![replaced.clone()]))
        .await
        .unwrap();
    assert_eq!(read(&blobs, key, None).await, replaced);
}

/// A range reads its bytes, both ends included.
pub async fn ranges_read_exactly_their_bytes(blobs: Blobs) {
    let bytes = [chunk(0, 1000), chunk(1, 234)].concat();
    let last = bytes.len() as u64 - 1;
    let key = key();
    blobs
        .store
        .put(key, body(vec![chunk(0, 1000), chunk(1, 234)]))
        .await
        .unwrap();
    for (start, end) in [(0, 0), (1, 1), (500, 1100), (last, last), (0, last)] {
        let range = ByteRange { start, end };
        assert_eq!(
            read(&blobs, key, Some(range)).await,
            bytes[start as usize..=end as usize],
            "{start}-{end}"
        );
    }
}

/// A body's own error, after it yielded some bytes, is what `put` returns;
/// nothing is stored, nor listed.
pub async fn a_failing_body_is_returned_and_leaves_nothing(blobs: Blobs) {
    #[derive(Debug, PartialEq)]
    struct Broken(usize);
    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "the client went away after {} bytes", self.0)
        }
    }
    impl std::error::Error for Broken {}

    // Within one part, and past the first of an S3 multipart upload.
    for good in [3 * KIB, 6 * MIB] {
        let size = good.min(64 * KIB);
        let chunks = (0..good / size)
            .map(move |index| Ok(chunk(index, size)))
            .chain([Err(Broken(good).into())]);
        let key = key();
        let body = futures_util::stream::iter(chunks).boxed();
        match blobs.store.put(key, body).await {
            Err(BlobError::Body(error)) => {
                assert_eq!(error.downcast_ref::<Broken>(), Some(&Broken(good)));
            }
            other => panic!("a failing body of {good} bytes gave {other:?}"),
        }
        assert!(is_not_found(blobs.store.get(key, None).await));
    }
    assert_eq!(listed(&blobs).await, vec![]);
}

/// Deleting twice, or what never was, is fine; the blob is gone.
pub async fn delete_is_idempotent(blobs: Blobs) {
    let key = key();
    blobs.store.delete(key).await.unwrap();
    blobs
        .store
        .put(key, body(vec![chunk(0, 10)]))
        .await
        .unwrap();
    let kept = self::key();
    blobs
        .store
        .put(kept, body(vec![chunk(1, 10)]))
        .await
        .unwrap();
    blobs.store.delete(key).await.unwrap();
    blobs.store.delete(key).await.unwrap();
    assert!(is_not_found(blobs.store.get(key, None).await));
    assert_eq!(read(&blobs, kept, None).await, chunk(1, 10));
}

/// `list` shows every stored key once, and no deleted one.
pub async fn list_shows_exactly_the_stored_keys(blobs: Blobs) {
    assert_eq!(listed(&blobs).await, vec![]);
    let project = ProjectId::generate();
    let mut keys: BTreeSet<BlobKey> = (0..3)
        .map(|_| BlobKey::new(project, AttachmentId::generate()))
        .chain([key(), key()])
        .collect();
    let before = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    for key in &keys {
        blobs
            .store
            .put(*key, body(vec![chunk(0, 5)]))
            .await
            .unwrap();
    }
    let gone = *keys.iter().next().unwrap();
    blobs.store.delete(gone).await.unwrap();
    keys.remove(&gone);
    let after = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);

    let found = listed(&blobs).await;
    assert_eq!(found.len(), keys.len(), "{found:?}");
    assert_eq!(
        found.iter().map(|blob| blob.key).collect::<BTreeSet<_>>(),
        keys
    );
    for blob in found {
        assert!(before < blob.modified && blob.modified < after, "{blob:?}");
    }
}

/// 12 MiB in 64 KiB chunks (three parts of an S3 multipart upload) comes
/// back intact, whole and by a range across a part boundary.
pub async fn a_body_of_many_parts_round_trips_intact(blobs: Blobs) {
    const CHUNK: usize = 64 * KIB;
    let chunks = 12 * MIB / CHUNK;
    let mut expected = Sha256::new();
    (0..chunks).for_each(|index| expected.update(chunk(index, CHUNK)));
    let key = key();
    let stream = futures_util::stream::iter(0..chunks)
        .map(|index| Ok(chunk(index, CHUNK)))
        .boxed();
    assert_eq!(blobs.store.put(key, stream).await.unwrap(), 12 * MIB as u64);

    let mut got = Sha256::new();
    let mut stream = blobs.store.get(key, None).await.unwrap();
    while let Some(bytes) = stream.next().await {
        got.update(bytes.unwrap());
    }
    assert_eq!(got.finalize(), expected.finalize());

    let boundary = 5 * MIB as u64;
    let range = ByteRange {
        start: boundary - 3,
        end: boundary + 2,
    };
    let index = boundary as usize / CHUNK;
    let around = [chunk(index - 1, CHUNK), chunk(index, CHUNK)].concat();
    assert_eq!(
        read(&blobs, key, Some(range)).await,
        around[CHUNK - 3..CHUNK + 3]
    );
}

/// Puts racing on eight keys all land, each with its own bytes.
pub async fn concurrent_puts_all_land(blobs: Blobs) {
    let keys: Vec<_> = (0..8).map(|_| key()).collect();
    let puts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            let (store, key) = (Arc::clone(&blobs.store), *key);
            tokio::spawn(async move {
                let chunks = (0..4)
                    .map(|part| chunk(index * 10 + part, 50_000))
                    .collect();
                store.put(key, body(chunks)).await
            })
        })
        .collect();
    for put in puts {
        assert_eq!(put.await.unwrap().unwrap(), 200_000);
    }
    for (index, key) in keys.iter().enumerate() {
        let expected: Vec<u8> = (0..4)
            .map(|part| chunk(index * 10 + part, 50_000))
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(read(&blobs, *key, None).await, expected);
    }
    assert_eq!(listed(&blobs).await.len(), keys.len());
}
