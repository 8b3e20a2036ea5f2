//! Files attached to the caller's projects: streamed to blob storage while
//! they are measured, hashed and sniffed, recorded only once stored.

mod janitor;
mod meter;

pub use janitor::AttachmentJanitor;

use async_trait::async_trait;
use meter::{Meter, Rejected};
use std::{collections::BTreeSet, sync::Arc};
use trellis_domain::{Attachment, AttachmentId, BlobKey, FileName, MediaType, ProjectId};
use trellis_ports::{
    Actor, Added, AttachmentRepository, AttachmentService, BlobError, BlobStore, ByteRange,
    ByteStream, Clock, Resource, ServiceError, Upload,
};

/// The limits uploads are held to.
#[derive(Debug, Clone)]
pub struct AttachmentPolicy {
    /// Most bytes in one file.
    pub max_bytes: u64,
    /// Most files on one project.
    pub per_project: u32,
    /// The types a file's bytes may be.
    pub types: BTreeSet<MediaType>,
}

/// The [`AttachmentService`] of Trellis.
#[derive(Clone)]
pub struct AttachmentsService {
    rows: Arc<dyn AttachmentRepository>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    policy: Arc<AttachmentPolicy>,
}

impl std::fmt::Debug for AttachmentsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentsService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

const NO_PROJECT: ServiceError = ServiceError::NotFound(Resource::Project);
const NO_ATTACHMENT: ServiceError = ServiceError::NotFound(Resource::Attachment);

impl AttachmentsService {
    /// Files recorded in `rows` with their bytes in `blobs`, held to
    /// `policy`; `clock` dates them.
    pub fn new(
        rows: Arc<dyn AttachmentRepository>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        policy: AttachmentPolicy,
    ) -> Self {
        Self {
            rows,
            blobs,
            clock,
            policy: Arc::new(policy),
        }
    }

    /// Removes bytes that will not be recorded. A failure only delays
    /// their removal: the reconcile finds objects no row names.
    async fn discard(&self, key: BlobKey) {
        if let Err(error) = self.blobs.delete(key).await {
            tracing::warn!(%key, error = %error, "could not remove an unrecorded upload; the reconcile will");
        }
    }
}

#[async_trait]
impl AttachmentService for AttachmentsService {
    async fn upload(
        &self,
        actor: &Actor,
        project: ProjectId,
        upload: Upload,
    ) -> Result<Attachment, ServiceError> {
        match self.rows.count(actor.id, project).await? {
            None => return Err(NO_PROJECT),
            Some(count) if count >= self.policy.per_project => {
                return Err(ServiceError::TooManyAttachments);
            }
            Some(_) => {}
        }
        let id = AttachmentId::generate();
        let key = BlobKey::new(project, id);
        let (metered, meter) = Meter::wrap(upload.body, self.policy.clone());
        let stored = self.blobs.put(key, metered).await;
        let measured = meter.finish(upload.declared_type.as_deref());
        match stored {
            Ok(_) => {}
            Err(BlobError::Body(cause)) => {
                return Err(match cause.downcast::<Rejected>() {
                    Ok(rejected) => (*rejected).into(),
                    Err(cause) => ServiceError::Upload(cause),
                });
            }
            Err(BlobError::Unavailable(cause)) => return Err(ServiceError::Unavailable(cause)),
            Err(error @ BlobError::NotFound) => return Err(ServiceError::Internal(error.into())),
        }
        if !self.policy.types.contains(&measured.content_type) {
            self.discard(key).await;
            return Err(ServiceError::UnsupportedType);
        }
        let attachment = Attachment {
            id,
            project_id: project,
            filename: FileName::sanitize(upload.filename.as_deref().unwrap_or_default()),
            content_type: measured.content_type,
            size: measured.size,
            sha256: measured.sha256,
            created_at: self.clock.now(),
        };
        let added = self
            .rows
            .add(actor.id, &attachment, self.policy.per_project)
            .await;
        let refused = match added {
            Ok(Added::Done(recorded)) => return Ok(recorded),
            Ok(Added::ProjectMissing) => NO_PROJECT,
            Ok(Added::Full) => ServiceError::TooManyAttachments,
            Err(error) => error.into(),
        };
        self.discard(key).await;
        Err(refused)
    }

    async fn list(
        &self,
        actor: &Actor,
        project: ProjectId,
    ) -> Result<Vec<Attachment>, ServiceError> {
        self.rows.list(actor.id, project).await?.ok_or(NO_PROJECT)
    }

    async fn find(
        &self,
        actor: &Actor,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<Attachment, ServiceError> {
        self.rows
            .find(actor.id, project, id)
            .await?
            .ok_or(NO_ATTACHMENT)
    }

    async fn read(
        &self,
        attachment: &Attachment,
        range: Option<ByteRange>,
    ) -> Result<ByteStream, ServiceError> {
        match self.blobs.get(attachment.blob_key(), range).await {
            Ok(bytes) => Ok(bytes),
            // Deleted between the lookup and the read.
            Err(BlobError::NotFound) => Err(NO_ATTACHMENT),
            Err(BlobError::Unavailable(cause)) => Err(ServiceError::Unavailable(cause)),
            Err(error @ BlobError::Body(_)) => Err(ServiceError::Internal(error.into())),
        }
    }

    async fn delete(
        &self,
        actor: &Actor,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<(), ServiceError> {
        if !self.rows.remove(actor.id, project, id).await? {
            return Err(NO_ATTACHMENT);
        }
        // The row's removal queued the bytes; removing them now is only
        // quicker than waiting for the sweeper, which retries on failure.
        let key = BlobKey::new(project, id);
        let removed = match self.blobs.delete(key).await {
            Ok(()) => self.rows.deletions_done(&[key]).await.map_err(Into::into),
            Err(error) => Err(error.into()),
        };
        if let Err(error) = removed {
            let error: trellis_ports::BoxError = error;
            tracing::warn!(%key, error = %error, "a deleted attachment's bytes stay queued for the sweeper");
        }
        Ok(())
    }
}
