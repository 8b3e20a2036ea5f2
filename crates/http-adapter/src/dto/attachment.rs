//! Attachments on the wire.

use super::timestamp;
use serde::Serialize;
use trellis_domain::{Attachment, AttachmentId, ProjectId, Timestamp};
use utoipa::ToSchema;

/// A file attached to a project, as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentView {
    #[schema(value_type = String, format = Uuid)]
    id: AttachmentId,
    #[schema(value_type = String, format = Uuid)]
    project_id: ProjectId,
    /// The client's name for the file, without any directory part or
    /// control characters (at most 255 bytes).
    #[schema(example = "minutes.pdf")]
    filename: String,
    /// What the bytes are, by their magic number (never what the client said).
    #[schema(example = "application/pdf")]
    content_type: String,
    /// Its length in bytes.
    #[schema(example = 48213, minimum = 0)]
    size: u64,
    /// The SHA-256 digest of the bytes, as 64 hex digits (also the download's `ETag`).
    #[schema(
        example = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        pattern = "^[0-9a-f]{64}$"
    )]
    sha256: String,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    created_at: Timestamp,
}

impl From<Attachment> for AttachmentView {
    fn from(attachment: Attachment) -> Self {
        Self {
            id: attachment.id,
            project_id: attachment.project_id,
            sha256: attachment.sha256.to_string(),
            filename: attachment.filename.as_str().to_owned(),
            content_type: attachment.content_type.as_str().to_owned(),
            size: attachment.size,
            created_at: attachment.created_at,
        }
    }
}

/// `{"attachment"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentEnvelope {
    /// The attachment.
    pub attachment: AttachmentView,
}

impl From<Attachment> for AttachmentEnvelope {
    fn from(attachment: Attachment) -> Self {
        Self {
            attachment: attachment.into(),
        }
    }
}

/// `{"data": [attachment, ...]}`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    /// The project's attachments, newest first.
    pub data: Vec<AttachmentView>,
}

impl From<Vec<Attachment>> for AttachmentList {
    fn from(attachments: Vec<Attachment>) -> Self {
        Self {
            data: attachments.into_iter().map(Into::into).collect(),
        }
    }
}
