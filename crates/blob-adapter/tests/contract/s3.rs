//! Against a real S3 API: moto's server at `TRELLIS_TEST_S3_ENDPOINT`
//! (`eval "$(bash scripts/moto.sh)"` starts one), a new bucket per case.

use futures_util::{StreamExt, TryStreamExt};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trellis_blobs::{S3Blobs, S3Settings};
use trellis_domain::{AttachmentId, BlobKey, ProjectId};
use trellis_ports::{BlobError, BlobStore, testkit::Blobs};

const PREFIX: &str = "trellis/contract";

fn endpoint() -> String {
    std::env::var("TRELLIS_TEST_S3_ENDPOINT").expect(
        "TRELLIS_TEST_S3_ENDPOINT is not set: the S3 tests need moto's server; \
         run `eval \"$(bash scripts/moto.sh)\"` first (scripts/test.sh does)",
    )
}

/// One plain HTTP/1.1 request to moto (it takes unsigned ones); the status
/// and body of its answer.
async fn request(method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let endpoint = endpoint();
    let host = endpoint
        .strip_prefix("http://")
        .expect("an http:// endpoint")
        .trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    (status, answer)
}

async fn new_bucket() -> String {
    let bucket = format!("trellis-test-{}", uuid::Uuid::new_v4().simple());
    let (status, answer) = request("PUT", &format!("/{bucket}"), b"").await;
    assert_eq!(status, 200, "creating bucket {bucket}: {answer}");
    bucket
}

const SECRET: &str = "trellis-test-secret";

fn settings() -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint()),
        region: Some("us-east-1".into()),
        access_key_id: Some("trellis-test".into()),
        secret_access_key: Some(SECRET.into()),
    }
}

fn store(bucket: &str) -> S3Blobs {
    S3Blobs::from_url(&format!("s3://{bucket}/{PREFIX}"), &settings()).unwrap()
}

trellis_ports::blob_contract!(async {
    Blobs {
        store: Arc::new(store(&new_bucket().await)),
        keep_alive: None,
    }
});

#[tokio::test]
async fn a_failed_multipart_upload_is_aborted() {
    let bucket = new_bucket().await;
    let blobs = store(&bucket);
    let key = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
    let chunks = (0..100)
        .map(|_| Ok(bytes::Bytes::from(vec![7u8; 64 * 1024])))
        .chain([Err("cut off".into())]);
    let put = blobs
        .put(key, futures_util::stream::iter(chunks).boxed())
        .await;
    assert!(matches!(put, Err(BlobError::Body(_))), "{put:?}");
    let (status, uploads) = request("GET", &format!("/{bucket}?uploads"), b"").await;
    assert_eq!(status, 200, "{uploads}");
    assert!(
        !uploads.contains("<UploadId>"),
        "an upload lingers: {uploads}"
    );
}

#[tokio::test]
async fn list_skips_objects_outside_the_prefix_or_not_named_by_a_key() {
    let bucket = new_bucket().await;
    let key = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
    for path in [
        format!("/{bucket}/{PREFIX}/notes.txt"),
        format!("/{bucket}/{PREFIX}/{}/x", ProjectId::generate()),
        format!("/{bucket}/elsewhere/{key}"),
        format!("/{bucket}/{key}"),
    ] {
        let (status, answer) = request("PUT", &path, b"foreign").await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    let blobs = store(&bucket);
    assert_eq!(blobs.list().try_collect::<Vec<_>>().await.unwrap(), vec![]);
    assert!(matches!(
        blobs.get(key, None).await,
        Err(BlobError::NotFound)
    ));

    // At the bucket's root, only the object named by a key is one.
    let root = S3Blobs::from_url(&format!("s3://{bucket}"), &settings()).unwrap();
    let listed: Vec<_> = root.list().try_collect().await.unwrap();
    assert_eq!(
        listed.iter().map(|blob| blob.key).collect::<Vec<_>>(),
        vec![key]
    );
    assert_eq!(read_all(&root, key).await, b"foreign");
}

async fn read_all(blobs: &S3Blobs, key: BlobKey) -> Vec<u8> {
    let chunks: Vec<_> = blobs
        .get(key, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

#[test]
fn credentials_stay_out_of_debug_and_errors() {
    let settings = settings();
    assert!(!format!("{settings:?}").contains(SECRET));
    let blobs = S3Blobs::from_url("s3://some-bucket/p", &settings).unwrap();
    assert!(!format!("{blobs:?}").contains(SECRET), "{blobs:?}");
    let error = S3Blobs::from_url("file:///tmp", &settings).unwrap_err();
    assert!(!format!("{error:?} {error}").contains(SECRET));
}
