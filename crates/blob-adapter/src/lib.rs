//! Where Trellis keeps the bytes of attachments: the [`BlobStore`]
//! adapters — [`MemoryBlobs`], [`FileBlobs`] and [`S3Blobs`] — and
//! [`open`], which picks one from a [`StorageUrl`].

#![warn(missing_docs)]

mod file;
mod memory;
mod s3;
mod url;

pub use file::FileBlobs;
pub use memory::MemoryBlobs;
pub use s3::{S3Blobs, S3Settings};
pub use url::{BadStorageUrl, StorageUrl};

use std::{path::PathBuf, sync::Arc};
use trellis_ports::BlobStore;

/// Why blob storage could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BlobSetupError {
    /// The URL is of none of the supported forms.
    #[error(transparent)]
    Url(#[from] BadStorageUrl),
    /// [`S3Blobs::from_url`] was given a URL that is not `s3://`.
    #[error("STORAGE_URL is not an s3:// URL")]
    NotS3,
    /// The directory of a `file://` URL cannot be made ready.
    #[error("cannot use {} for STORAGE_URL", .path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The S3 client cannot be configured so.
    #[error("cannot configure S3 storage")]
    S3(#[source] object_store::Error),
}

/// The blob store `url` names; `settings` are used by an `s3://` one only.
pub fn open(url: &StorageUrl, settings: &S3Settings) -> Result<Arc<dyn BlobStore>, BlobSetupError> {
    Ok(match url {
        StorageUrl::Memory => Arc::new(MemoryBlobs::new()),
        StorageUrl::File(path) => {
            Arc::new(
                FileBlobs::open(path.clone()).map_err(|source| BlobSetupError::Directory {
                    path: path.clone(),
                    source,
                })?,
            )
        }
        StorageUrl::S3 { bucket, prefix } => Arc::new(S3Blobs::new(bucket, prefix, settings)?),
    })
}
