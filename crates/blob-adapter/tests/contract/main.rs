//! Every store passes the blob store contract, and keeps to what is its
//! own beyond it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod memory {
    use std::sync::Arc;
    use trellis_blobs::MemoryBlobs;
    use trellis_ports::testkit::Blobs;

    trellis_ports::blob_contract!(async {
        Blobs {
            store: Arc::new(MemoryBlobs::new()),
            keep_alive: None,
        }
    });
}

mod file;
mod s3;

/// `open` gives the store a URL names, or says which directory it cannot use.
#[tokio::test]
async fn open_picks_the_store_of_the_url() {
    use futures_util::TryStreamExt;
    use trellis_blobs::{BlobSetupError, S3Settings, StorageUrl, open};

    let settings = S3Settings::default();
    let memory = open(&StorageUrl::Memory, &settings).unwrap();
    assert_eq!(memory.list().try_collect::<Vec<_>>().await.unwrap(), vec![]);

    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("open-{}", uuid::Uuid::new_v4()));
    let root = base.join("blobs");
    open(&StorageUrl::File(root.clone()), &settings).unwrap();
    assert!(root.join(".partial").is_dir());

    let under_a_file = root.join(".partial").join("file");
    std::fs::write(&under_a_file, b"x").unwrap();
    match open(&StorageUrl::File(under_a_file.join("blobs")), &settings) {
        Err(error @ BlobSetupError::Directory { .. }) => {
            assert!(error.to_string().contains("STORAGE_URL"), "{error}");
        }
        other => panic!("{:?}", other.map(|_| "a store")),
    }
    std::fs::remove_dir_all(base).unwrap();
}
