//! Files attached to projects: where their bytes are kept (driven:
//! [`BlobStore`]), what is known of them (driven: [`AttachmentRepository`]),
//! and what an inbound adapter asks (driving: [`AttachmentService`]).

use crate::{Actor, BoxError, RepositoryError, ServiceError};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use trellis_domain::{Attachment, AttachmentId, BlobKey, ProjectId, Timestamp, UserId};

/// Bytes as they stream in or out, chunk by chunk; an `Err` ends the stream.
pub type ByteStream = BoxStream<'static, Result<Bytes, BoxError>>;

/// The bytes `start..=end` of a blob (both inclusive, as in HTTP ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte's offset.
    pub start: u64,
    /// The last byte's offset; at least `start`.
    pub end: u64,
}

impl ByteRange {
    /// How many bytes it covers.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Never: a range covers at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A blob found in storage by [`BlobStore::list`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its key.
    pub key: BlobKey,
    /// When it was last written.
    pub modified: Timestamp,
}

/// Failures of blob storage.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No blob under this key.
    #[error("no such blob")]
    NotFound,
    /// The body given to [`BlobStore::put`] ended in this error; nothing
    /// was kept.
    #[error("the body ended in an error")]
    Body(#[source] BoxError),
    /// Storage cannot be reached now, or failed; worth retrying later.
    #[error("blob storage unavailable")]
    Unavailable(#[source] BoxError),
}

/// Keeps the bytes of attachments, under keys the core chooses.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Streams `body` into storage under `key` without holding it in memory
    /// (at most a bounded buffer); how many bytes. When it returns `Ok` the
    /// bytes are durable and whole under `key`, and before that nothing is
    /// visible there. If `body` yields an error, or anything fails, nothing
    /// is left behind (no partial object) and the error is returned —
    /// [`BlobError::Body`] with the body's own error.
    async fn put(&self, key: BlobKey, body: ByteStream) -> Result<u64, BlobError>;

    /// The blob's bytes, or only those of `range`. The range is within the
    /// blob (the caller checked it against the size it recorded).
    async fn get(&self, key: BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError>;

    /// Removes the blob; `Ok` also when there was none.
    async fn delete(&self, key: BlobKey) -> Result<(), BlobError>;

    /// Every blob in storage under a key Trellis writes (anything else is
    /// skipped), in no particular order.
    fn list(&self) -> BoxStream<'static, Result<StoredBlob, BlobError>>;
}

/// What [`AttachmentRepository::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The attachment is recorded.
    Done(Attachment),
    /// No such project of this owner (it may have just been deleted).
    ProjectMissing,
    /// The project has as many attachments as allowed.
    Full,
}

/// Records what is known of attachments, and which blobs must go.
///
/// Every method taking an owner is scoped to them: another user's project
/// is indistinguishable from a missing one. Whenever an attachment row goes
/// — removed by [`Self::remove`], or with its project or its project's
/// owner — its [`BlobKey`] MUST be queued for deletion in the same atomic
/// step, so that no crash can forget the bytes.
#[async_trait]
pub trait AttachmentRepository: Send + Sync + 'static {
    /// How many attachments the project has; `None` if there is no such
    /// project of `owner`.
    async fn count(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<u32>, RepositoryError>;

    /// Records `attachment` (whose bytes are already stored), if its
    /// project is `owner`'s and has fewer than `limit` attachments —
    /// decided atomically with the insert, so that racing uploads never
    /// pass the limit.
    async fn add(
        &self,
        owner: UserId,
        attachment: &Attachment,
        limit: u32,
    ) -> Result<Added, RepositoryError>;

    /// The project's attachments, newest first; `None` if there is no such
    /// project of `owner`.
    async fn list(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<Vec<Attachment>>, RepositoryError>;

    /// One attachment of one of `owner`'s projects.
    async fn find(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<Option<Attachment>, RepositoryError>;

    /// Removes the attachment and queues its blob for deletion, atomically;
    /// whether there was one.
    async fn remove(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<bool, RepositoryError>;

    /// At most `limit` blobs queued for deletion, oldest first.
    async fn pending_deletions(&self, limit: u32) -> Result<Vec<BlobKey>, RepositoryError>;

    /// These queued blobs are gone from storage: takes them off the queue.
    async fn deletions_done(&self, keys: &[BlobKey]) -> Result<(), RepositoryError>;

    /// Those of `keys` that an attachment names (for reconciling storage
    /// with the rows).
    async fn existing(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepositoryError>;
}

/// A file as a client uploads it.
pub struct Upload {
    /// The client's name for it, as sent.
    pub filename: Option<String>,
    /// The type the client said it is, as sent (only tells CSV from text).
    pub declared_type: Option<String>,
    /// Its bytes.
    pub body: ByteStream,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("declared_type", &self.declared_type)
            .finish_non_exhaustive()
    }
}

/// The files of the caller's projects. A project of another user is
/// [`ServiceError::NotFound`] (`Project`), an attachment not of that
/// project [`ServiceError::NotFound`] (`Attachment`).
#[async_trait]
pub trait AttachmentService: Send + Sync + 'static {
    /// Streams the upload to storage while hashing and sniffing it, then
    /// records it. [`ServiceError::TooLarge`] as soon as it passes the size
    /// limit, [`ServiceError::UnsupportedType`] as soon as its bytes are
    /// known to be of a type not allowed, [`ServiceError::TooManyAttachments`]
    /// at the project's limit, [`ServiceError::Upload`] with the body's own
    /// error if it failed; in every such case nothing is left behind.
    async fn upload(
        &self,
        actor: &Actor,
        project: ProjectId,
        upload: Upload,
    ) -> Result<Attachment, ServiceError>;

    /// The project's attachments, newest first.
    async fn list(
        &self,
        actor: &Actor,
        project: ProjectId,
    ) -> Result<Vec<Attachment>, ServiceError>;

    /// One attachment.
    async fn find(
        &self,
        actor: &Actor,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<Attachment, ServiceError>;

    /// The bytes of an attachment [`Self::find`] answered, or only those of
    /// `range` (within its size).
    async fn read(
        &self,
        attachment: &Attachment,
        range: Option<ByteRange>,
    ) -> Result<ByteStream, ServiceError>;

    /// Removes an attachment; its bytes follow shortly.
    async fn delete(
        &self,
        actor: &Actor,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<(), ServiceError>;
}
