//! [`S3Blobs`]: blobs as objects of an S3-compatible store.

use crate::{BlobSetupError, StorageUrl};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    GetOptions, GetRange, MultipartUpload, ObjectStore, ObjectStoreExt, PutPayload,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
};
use secrecy::{ExposeSecret, SecretString};
use trellis_domain::{BlobKey, Timestamp};
use trellis_ports::{BlobError, BlobStore, BoxError, ByteRange, ByteStream, StoredBlob};

/// The size of each part of a multipart upload but the last: S3's least.
/// A body is held in memory one part at a time.
const PART_SIZE: usize = 5 * 1024 * 1024;

/// How to reach and sign in to the S3-compatible store.
#[derive(Debug, Default)]
pub struct S3Settings {
    /// Its base URL (`http://` allowed), for stores other than AWS; keys
    /// are then addressed path-style (`<endpoint>/<bucket>/<key>`).
    pub endpoint: Option<String>,
    /// The region (AWS's default when `None`).
    pub region: Option<String>,
    /// The access key; with [`Self::secret_access_key`], or neither to use
    /// the environment's credentials (instance metadata, say).
    pub access_key_id: Option<String>,
    /// The secret for [`Self::access_key_id`].
    pub secret_access_key: Option<SecretString>,
}

/// Blobs as objects `<prefix>/<project id>/<attachment id>` of one bucket.
/// A body of less than a part (5 MiB) is one `PUT`; a larger one is a
/// multipart upload, aborted on any failure, that only becomes visible
/// when it completes.
pub struct S3Blobs {
    store: AmazonS3,
    prefix: Path,
}

impl std::fmt::Debug for S3Blobs {
    /// The bucket and prefix only: nothing of the client's configuration,
    /// which holds the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Blobs")
            .field("store", &format_args!("{}", self.store))
            .field("prefix", &self.prefix.as_ref())
            .finish()
    }
}

impl S3Blobs {
    /// Blobs under `url` (`s3://bucket/optional/prefix`).
    pub fn from_url(url: &str, settings: &S3Settings) -> Result<Self, BlobSetupError> {
        match url.parse()? {
            StorageUrl::S3 { bucket, prefix } => Self::new(&bucket, &prefix, settings),
            _ => Err(BlobSetupError::NotS3),
        }
    }

    pub(crate) fn new(
        bucket: &str,
        prefix: &str,
        settings: &S3Settings,
    ) -> Result<Self, BlobSetupError> {
        let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose_secret());
        }
        Ok(Self {
            store: builder.build().map_err(BlobSetupError::S3)?,
            prefix: Path::parse(prefix).map_err(|error| BlobSetupError::S3(error.into()))?,
        })
    }

    fn path(&self, key: BlobKey) -> Path {
        self.prefix
            .clone()
            .join(key.project().to_string())
            .join(key.attachment().to_string())
    }

    /// Streams `body` to `path`: one `PUT` if it is smaller than a part,
    /// else part by part into `upload`, started on the first full part.
    async fn upload(
        &self,
        path: &Path,
        mut body: ByteStream,
        upload: &mut Multipart,
    ) -> Result<u64, BlobError> {
        let mut part = Vec::<Bytes>::new();
        let mut buffered = 0;
        let mut size = 0;
        while let Some(chunk) = body.next().await {
            let mut chunk = chunk.map_err(BlobError::Body)?;
            size += chunk.len() as u64;
            while buffered + chunk.len() >= PART_SIZE {
                part.push(chunk.split_to(PART_SIZE - buffered));
                buffered = 0;
                let payload = PutPayload::from_iter(std::mem::take(&mut part));
                upload.put_part(&self.store, path, payload).await?;
            }
            if !chunk.is_empty() {
                buffered += chunk.len();
                part.push(chunk);
            }
        }
        let rest = PutPayload::from_iter(part);
        if upload.started() {
            if buffered > 0 {
                upload.put_part(&self.store, path, rest).await?;
            }
            upload.complete().await?;
        } else {
            self.store.put(path, rest).await.map_err(failure)?;
        }
        Ok(size)
    }
}

/// A multipart upload, once started; aborted unless completed — also when
/// dropped unfinished (the upload was cancelled), in a task of its own.
#[derive(Debug, Default)]
struct Multipart(Option<Box<dyn MultipartUpload>>);

impl Multipart {
    fn started(&self) -> bool {
        self.0.is_some()
    }

    async fn put_part(
        &mut self,
        store: &AmazonS3,
        path: &Path,
        part: PutPayload,
    ) -> Result<(), BlobError> {
        let upload = match &mut self.0 {
            Some(upload) => upload,
            None => self
                .0
                .insert(store.put_multipart(path).await.map_err(failure)?),
        };
        upload.put_part(part).await.map_err(failure)
    }

    async fn complete(&mut self) -> Result<(), BlobError> {
        if let Some(upload) = &mut self.0 {
            upload.complete().await.map_err(failure)?;
            self.0 = None;
        }
        Ok(())
    }

    async fn abort(&mut self) {
        if let Some(mut upload) = self.0.take()
            && let Err(error) = upload.abort().await
        {
            tracing::warn!(%error, "cannot abort a multipart upload: its parts linger");
        }
    }
}

impl Drop for Multipart {
    fn drop(&mut self) {
        if let Some(upload) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { Multipart(Some(upload)).abort().await });
        }
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: BlobKey, body: ByteStream) -> Result<u64, BlobError> {
        let path = self.path(key);
        let mut upload = Multipart::default();
        let uploaded = self.upload(&path, body, &mut upload).await;
        if uploaded.is_err() {
            upload.abort().await;
        }
        uploaded
    }

    async fn get(&self, key: BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let options = GetOptions {
            range: range.map(|range| GetRange::Bounded(range.start..range.end + 1)),
            ..GetOptions::default()
        };
        let found = self
            .store
            .get_opts(&self.path(key), options)
            .await
            .map_err(failure)?;
        Ok(found.into_stream().map_err(BoxError::from).boxed())
    }

    async fn delete(&self, key: BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)).await.map_err(failure) {
            Err(BlobError::NotFound) => Ok(()),
            done => done,
        }
    }

    fn list(&self) -> BoxStream<'static, Result<StoredBlob, BlobError>> {
        let prefix = self.prefix.clone();
        let under = (!prefix.as_ref().is_empty()).then_some(&self.prefix);
        self.store
            .list(under)
            .map_err(failure)
            .try_filter_map(move |meta| {
                let key = meta.location.prefix_match(&prefix).and_then(|parts| {
                    let parts: Vec<_> = parts.map(|part| part.as_ref().to_owned()).collect();
                    parts.join("/").parse::<BlobKey>().ok()
                });
                let modified = Timestamp::from_unix_timestamp_nanos(
                    meta.last_modified
                        .timestamp_nanos_opt()
                        .unwrap_or_default()
                        .into(),
                );
                futures_util::future::ready(Ok(key
                    .zip(modified.ok())
                    .map(|(key, modified)| StoredBlob { key, modified })))
            })
            .boxed()
    }
}

/// Not found is [`BlobError::NotFound`]; anything else, unavailable.
fn failure(error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        other => BlobError::Unavailable(Box::new(other)),
    }
}
