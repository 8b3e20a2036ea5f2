use futures_util::{StreamExt, TryStreamExt};
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime},
};
use trellis_blobs::FileBlobs;
use trellis_domain::{AttachmentId, BlobKey, ProjectId};
use trellis_ports::{BlobStore, testkit::Blobs};

/// A directory of its own under the target's, removed with the case.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("file-blobs-{}", uuid::Uuid::new_v4()));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

trellis_ports::blob_contract!(async {
    let dir = TempDir::new();
    Blobs {
        store: Arc::new(FileBlobs::open(dir.0.clone()).unwrap()),
        keep_alive: Some(Arc::new(dir)),
    }
});

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[tokio::test]
async fn open_sweeps_abandoned_partials_and_list_skips_foreign_files() {
    let dir = TempDir::new();
    let partial = dir.0.join(".partial");
    std::fs::create_dir_all(&partial).unwrap();
    let old = std::fs::File::create(partial.join("old")).unwrap();
    old.set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60))
        .unwrap();
    std::fs::write(partial.join("recent"), b"still uploading").unwrap();
    let project = ProjectId::generate().to_string();
    std::fs::create_dir_all(dir.0.join(&project).join("not-a-uuid-dir")).unwrap();
    std::fs::write(dir.0.join(&project).join("notes.txt"), b"x").unwrap();
    std::fs::create_dir_all(dir.0.join("lost+found")).unwrap();
    std::fs::write(dir.0.join("README"), b"x").unwrap();

    let blobs = FileBlobs::open(dir.0.clone()).unwrap();
    assert!(!partial.join("old").exists());
    assert!(partial.join("recent").exists());
    let listed: Vec<_> = blobs.list().try_collect().await.unwrap();
    assert_eq!(listed, vec![]);
}

#[tokio::test]
async fn blobs_are_files_named_by_their_key_and_partials_go() {
    let dir = TempDir::new();
    let blobs = FileBlobs::open(dir.0.clone()).unwrap();
    let key = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
    let body = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"hello"))]);
    blobs.put(key, Box::pin(body)).await.unwrap();
    assert_eq!(
        std::fs::read(dir.0.join(key.to_string())).unwrap(),
        b"hello"
    );
    assert_eq!(files_under(&dir.0.join(".partial")), 0);

    // A body that fails: its partial file goes, the blob stays as it was.
    let failing = futures_util::stream::iter([
        Ok(bytes::Bytes::from_static(b"part")),
        Err("cut off".into()),
    ]);
    assert!(blobs.put(key, Box::pin(failing)).await.is_err());
    assert_eq!(files_under(&dir.0.join(".partial")), 0);

    // Cancelled mid-body: the partial file goes with the dropped upload.
    let pending = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"part"))])
        .chain(futures_util::stream::pending());
    let upload = blobs.put(key, Box::pin(pending));
    tokio::time::timeout(Duration::from_millis(200), upload)
        .await
        .expect_err("a body that never ends");
    assert_eq!(files_under(&dir.0.join(".partial")), 0);
    assert_eq!(
        std::fs::read(dir.0.join(key.to_string())).unwrap(),
        b"hello"
    );

    // The project's directory goes with its last blob.
    blobs.delete(key).await.unwrap();
    assert!(!dir.0.join(key.project().to_string()).exists());
}
