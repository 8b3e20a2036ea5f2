//! What is known of attachments, in `attachments`, and the blobs to
//! delete, in `attachment_deletions` (migration V6). Every statement that
//! takes an owner is scoped to them through the project's `user_id`.
//!
//! No statement here queues a blob: the table's trigger does, for every
//! row that goes, also with its project or its project's owner (the
//! foreign keys cascade), in the deleting transaction.

use crate::{
    PgStore, failure,
    store::{Sql, inserted},
};
use async_trait::async_trait;
use tokio_postgres::{Row, types::Type};
use trellis_domain::{
    Attachment, AttachmentId, BlobKey, FileName, MediaType, ProjectId, Sha256Digest, UserId,
};
use trellis_ports::{Added, AttachmentRepository, RepositoryError};
use uuid::Uuid;

// The count of a project of the owner's; no row when there is none.
const COUNT: Sql = Sql {
    text: "\
SELECT (SELECT count(*) FROM attachments a WHERE a.project_id = p.id) AS count
FROM projects p WHERE p.id = $1 AND p.user_id = $2",
    types: &[Type::UUID, Type::UUID],
};

// The first step of `add`: the owner's project, locked until the insert
// commits, so that adds to one project (and its deletion) take turns.
const LOCK_PROJECT: Sql = Sql {
    text: "SELECT 1 FROM projects WHERE id = $1 AND user_id = $2 FOR UPDATE",
    types: &[Type::UUID, Type::UUID],
};

// The second step of `add`, a statement of its own: under READ COMMITTED
// its snapshot is taken after the lock was granted, so the count sees every
// add that committed before. (In the locking statement itself, a CTE or a
// subquery would count from a snapshot taken before the wait, and racing
// adds would pass the limit.) No row when the project is full.
const INSERT: Sql = Sql {
    text: "\
INSERT INTO attachments (id, project_id, filename, content_type, size, sha256, created_at)
SELECT $1, $2, $3, $4, $5, $6, $7
WHERE (SELECT count(*) FROM attachments WHERE project_id = $2) < $8
RETURNING id, project_id, filename, content_type, size, sha256, created_at",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::BYTEA,
        Type::TIMESTAMPTZ,
        Type::INT8,
    ],
};

// No row when the owner has no such project; one row of NULLs when it has
// no attachments.
const LIST: Sql = Sql {
    text: "\
SELECT a.id, a.project_id, a.filename, a.content_type, a.size, a.sha256, a.created_at
FROM projects p LEFT JOIN attachments a ON a.project_id = p.id
WHERE p.id = $1 AND p.user_id = $2
ORDER BY a.created_at DESC, a.id DESC",
    types: &[Type::UUID, Type::UUID],
};

const FIND: Sql = Sql {
    text: "\
SELECT a.id, a.project_id, a.filename, a.content_type, a.size, a.sha256, a.created_at
FROM attachments a JOIN projects p ON p.id = a.project_id
WHERE a.id = $3 AND a.project_id = $1 AND p.user_id = $2",
    types: &[Type::UUID, Type::UUID, Type::UUID],
};

const REMOVE: Sql = Sql {
    text: "\
DELETE FROM attachments a USING projects p
WHERE a.id = $3 AND a.project_id = $1 AND p.id = $1 AND p.user_id = $2
RETURNING a.id",
    types: &[Type::UUID, Type::UUID, Type::UUID],
};

// Keys tie on `queued_at` when one transaction queued them (a project's
// deletion): then by key.
const PENDING: Sql = Sql {
    text: "\
SELECT project_id, attachment_id FROM attachment_deletions
ORDER BY queued_at, project_id, attachment_id
LIMIT $1",
    types: &[Type::INT8],
};

// Keys as two arrays of the same length: projects, attachments.
const DONE: Sql = Sql {
    text: "\
DELETE FROM attachment_deletions d
USING unnest($1::uuid[], $2::uuid[]) AS k (project_id, attachment_id)
WHERE d.project_id = k.project_id AND d.attachment_id = k.attachment_id",
    types: &[Type::UUID_ARRAY, Type::UUID_ARRAY],
};

// Keys as in DONE.
const EXISTING: Sql = Sql {
    text: "\
SELECT a.project_id, a.id AS attachment_id
FROM unnest($1::uuid[], $2::uuid[]) AS k (project_id, attachment_id)
JOIN attachments a ON a.id = k.attachment_id AND a.project_id = k.project_id",
    types: &[Type::UUID_ARRAY, Type::UUID_ARRAY],
};

#[async_trait]
impl AttachmentRepository for PgStore {
    async fn count(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<u32>, RepositoryError> {
        let rows = self
            .rows(&COUNT, &[&project.as_uuid(), &owner.as_uuid()])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let count: i64 = row.try_get("count").map_err(failure::from_query)?;
        u32::try_from(count)
            .map(Some)
            .map_err(|_| failure::unexpected("count", "beyond u32"))
    }

    async fn add(
        &self,
        owner: UserId,
        attachment: &Attachment,
        limit: u32,
    ) -> Result<Added, RepositoryError> {
        let size = i64::try_from(attachment.size).map_err(|_| failure::unfit("size"))?;
        let (id, project) = (attachment.id.as_uuid(), attachment.project_id.as_uuid());
        let sha256 = &attachment.sha256.as_bytes()[..];
        let limit = i64::from(limit);
        let steps = self
            .transaction(&[
                (&LOCK_PROJECT, &[&project, &owner.as_uuid()]),
                (
                    &INSERT,
                    &[
                        &id,
                        &project,
                        &attachment.filename.as_str(),
                        &attachment.content_type.as_str(),
                        &size,
                        &sha256,
                        &attachment.created_at,
                        &limit,
                    ],
                ),
            ])
            .await?;
        match steps.as_slice() {
            [locked] if locked.is_empty() => Ok(Added::ProjectMissing),
            [_, rows] if rows.is_empty() => Ok(Added::Full),
            [_, rows] => inserted(rows).and_then(attachment_from).map(Added::Done),
            _ => Err(failure::unexpected("result", "the insert did not run")),
        }
    }

    async fn list(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<Vec<Attachment>>, RepositoryError> {
        let rows = self
            .rows(&LIST, &[&project.as_uuid(), &owner.as_uuid()])
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let none: Option<Uuid> = first.try_get("id").map_err(failure::from_query)?;
        if none.is_none() {
            return Ok(Some(Vec::new()));
        }
        rows.iter()
            .map(attachment_from)
            .collect::<Result<_, _>>()
            .map(Some)
    }

    async fn find(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<Option<Attachment>, RepositoryError> {
        let rows = self
            .rows(
                &FIND,
                &[&project.as_uuid(), &owner.as_uuid(), &id.as_uuid()],
            )
            .await?;
        rows.first().map(attachment_from).transpose()
    }

    async fn remove(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<bool, RepositoryError> {
        let rows = self
            .rows(
                &REMOVE,
                &[&project.as_uuid(), &owner.as_uuid(), &id.as_uuid()],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn pending_deletions(&self, limit: u32) -> Result<Vec<BlobKey>, RepositoryError> {
        let rows = self.rows(&PENDING, &[&i64::from(limit)]).await?;
        rows.iter().map(key_from).collect()
    }

    async fn deletions_done(&self, keys: &[BlobKey]) -> Result<(), RepositoryError> {
        let (projects, attachments) = columns(keys);
        self.rows(&DONE, &[&projects, &attachments]).await.map(drop)
    }

    async fn existing(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepositoryError> {
        let (projects, attachments) = columns(keys);
        let rows = self.rows(&EXISTING, &[&projects, &attachments]).await?;
        rows.iter().map(key_from).collect()
    }
}

/// Keys as the statements take them: their projects' ids, and their
/// attachments' in the same order.
fn columns(keys: &[BlobKey]) -> (Vec<Uuid>, Vec<Uuid>) {
    keys.iter()
        .map(|key| (key.project().as_uuid(), key.attachment().as_uuid()))
        .unzip()
}

/// A key from a row's `project_id` and `attachment_id`.
fn key_from(row: &Row) -> Result<BlobKey, RepositoryError> {
    let project: Uuid = row.try_get("project_id").map_err(failure::from_query)?;
    let attachment: Uuid = row.try_get("attachment_id").map_err(failure::from_query)?;
    Ok(BlobKey::new(project.into(), attachment.into()))
}

/// An attachment from a row holding the columns the statements above select.
fn attachment_from(row: &Row) -> Result<Attachment, RepositoryError> {
    let id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    let project_id: Uuid = row.try_get("project_id").map_err(failure::from_query)?;
    let size: i64 = row.try_get("size").map_err(failure::from_query)?;
    let sha256: Vec<u8> = row.try_get("sha256").map_err(failure::from_query)?;
    Ok(Attachment {
        id: id.into(),
        project_id: project_id.into(),
        filename: FileName::from_stored(row.try_get("filename").map_err(failure::from_query)?),
        content_type: MediaType::from_stored(
            row.try_get("content_type").map_err(failure::from_query)?,
        ),
        size: u64::try_from(size).map_err(|_| failure::unexpected("size", "negative"))?,
        sha256: Sha256Digest::from_bytes(
            sha256
                .try_into()
                .map_err(|_| failure::unexpected("sha256", "not 32 bytes"))?,
        ),
        created_at: row.try_get("created_at").map_err(failure::from_query)?,
    })
}
