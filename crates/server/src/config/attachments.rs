//! The attachments' settings: where their bytes go, and the limits uploads
//! are held to.

use super::{ConfigError, Source};
use secrecy::SecretString;
use std::{collections::BTreeSet, time::Duration};
use trellis_domain::MediaType;

/// The types allowed when `ATTACHMENT_TYPES` is unset.
const DEFAULT_TYPES: &str = "image/png,image/jpeg,image/gif,image/webp,application/pdf,\
    text/plain,text/csv,application/zip";

/// Attachments (`/api/projects/{id}/attachments`).
#[derive(Debug, Clone)]
pub struct AttachmentConfig {
    /// `STORAGE_URL`: `file:///path`, `s3://bucket/prefix`, or `memory:`;
    /// `None` is the default (files under `./data/attachments`, or memory
    /// when the server runs on its in-memory store).
    pub storage_url: Option<String>,
    /// `S3_ENDPOINT`: an S3-compatible server other than AWS.
    pub s3_endpoint: Option<String>,
    /// `AWS_REGION` (default `us-east-1`).
    pub s3_region: String,
    /// `AWS_ACCESS_KEY_ID`.
    pub s3_access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY` (redacted in `Debug`).
    pub s3_secret_access_key: Option<SecretString>,
    /// `ATTACHMENT_MAX_BYTES`: most bytes in one file (25 MiB).
    pub max_bytes: u64,
    /// `ATTACHMENTS_PER_PROJECT`: most files on one project (100).
    pub per_project: u32,
    /// `ATTACHMENT_TYPES`: the types a file's bytes may be.
    pub types: BTreeSet<MediaType>,
    /// `ATTACHMENT_SWEEP_SECS`: how often the bytes of deleted attachments,
    /// projects and users are removed (5).
    pub sweep_every: Duration,
    /// `ATTACHMENT_RECONCILE_SECS`: how often storage is checked for bytes
    /// no attachment names (600).
    pub reconcile_every: Duration,
    /// `ATTACHMENT_ORPHAN_GRACE_SECS`: how old unnamed bytes must be before
    /// the reconcile removes them (3600): longer than any upload takes.
    pub orphan_grace: Duration,
}

impl AttachmentConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        let max_bytes = source.parse("ATTACHMENT_MAX_BYTES", 26_214_400u64)?;
        if max_bytes == 0 {
            return Err(ConfigError::new(
                "ATTACHMENT_MAX_BYTES",
                "must be at least 1",
            ));
        }
        let per_project = source.parse("ATTACHMENTS_PER_PROJECT", 100u32)?;
        if per_project == 0 {
            return Err(ConfigError::new(
                "ATTACHMENTS_PER_PROJECT",
                "must be at least 1",
            ));
        }
        let types = source
            .get("ATTACHMENT_TYPES")
            .unwrap_or(DEFAULT_TYPES)
            .split(',')
            .map(str::trim)
            .filter(|kind| !kind.is_empty())
            .map(|kind| {
                MediaType::parse(kind).map_err(|problem| {
                    ConfigError::new("ATTACHMENT_TYPES", format!("{kind:?} {problem}"))
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        if types.is_empty() {
            return Err(ConfigError::new(
                "ATTACHMENT_TYPES",
                "must list at least one media type",
            ));
        }
        Ok(Self {
            storage_url: source.get("STORAGE_URL").map(str::to_owned),
            s3_endpoint: source.get("S3_ENDPOINT").map(str::to_owned),
            s3_region: source.get("AWS_REGION").unwrap_or("us-east-1").to_owned(),
            s3_access_key_id: source.get("AWS_ACCESS_KEY_ID").map(str::to_owned),
            s3_secret_access_key: source.get("AWS_SECRET_ACCESS_KEY").map(SecretString::from),
            max_bytes,
            per_project,
            types,
            sweep_every: source.positive_secs("ATTACHMENT_SWEEP_SECS", 5)?,
            reconcile_every: source.positive_secs("ATTACHMENT_RECONCILE_SECS", 600)?,
            orphan_grace: source.positive_secs("ATTACHMENT_ORPHAN_GRACE_SECS", 3600)?,
        })
    }
}
