//! What is known of attachments, and the queue of blobs to delete, with
//! PostgreSQL's semantics: a row that goes, however it goes (removed, with
//! its project, with its project's owner), queues its blob under the same
//! lock.

use crate::store::InMemoryStore;
use async_trait::async_trait;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, HashMap},
};
use trellis_domain::{Attachment, AttachmentId, BlobKey, ProjectId, Timestamp, UserId};
use trellis_ports::{Added, AttachmentRepository, RepositoryError};

/// Newest first, ties by id (descending), as the PostgreSQL index orders them.
type OrderKey = (Reverse<Timestamp>, Reverse<AttachmentId>);

#[derive(Debug, Default)]
pub(crate) struct Attachments {
    by_project: HashMap<ProjectId, BTreeMap<OrderKey, Attachment>>,
    /// Every attachment's project and place in it, by id.
    keys: HashMap<AttachmentId, (ProjectId, OrderKey)>,
    /// The blobs to delete, in the order they were queued.
    queue: BTreeSet<(Timestamp, BlobKey)>,
    /// When each queued blob was queued.
    queued: HashMap<BlobKey, Timestamp>,
}

impl Attachments {
    /// Drops every attachment of `project` (the cascade of deleting it)
    /// and queues their blobs, stamped `now`.
    pub(crate) fn remove_project(&mut self, project: ProjectId, now: Timestamp) {
        for attachment in self
            .by_project
            .remove(&project)
            .into_iter()
            .flat_map(BTreeMap::into_values)
        {
            self.keys.remove(&attachment.id);
            self.enqueue(attachment.blob_key(), now);
        }
    }

    fn enqueue(&mut self, key: BlobKey, now: Timestamp) {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.queued.entry(key) {
            entry.insert(now);
            self.queue.insert((now, key));
        }
    }

    fn of(&self, project: ProjectId) -> impl Iterator<Item = &Attachment> {
        self.by_project
            .get(&project)
            .into_iter()
            .flat_map(BTreeMap::values)
    }
}

#[async_trait]
impl AttachmentRepository for InMemoryStore {
    async fn count(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<u32>, RepositoryError> {
        let state = self.read();
        if !state.projects.owns(owner, project) {
            return Ok(None);
        }
        let count = state.attachments.of(project).count();
        Ok(Some(u32::try_from(count).unwrap_or(u32::MAX)))
    }

    async fn add(
        &self,
        owner: UserId,
        attachment: &Attachment,
        limit: u32,
    ) -> Result<Added, RepositoryError> {
        let mut state = self.write();
        let project = attachment.project_id;
        if !state.projects.owns(owner, project) {
            return Ok(Added::ProjectMissing);
        }
        let attachments = &mut state.attachments;
        if attachments.keys.contains_key(&attachment.id) {
            return Err(RepositoryError::Conflict {
                constraint: "attachments_pkey".into(),
            });
        }
        if attachments.of(project).count() >= limit as usize {
            return Ok(Added::Full);
        }
        let key = (Reverse(attachment.created_at), Reverse(attachment.id));
        attachments.keys.insert(attachment.id, (project, key));
        attachments
            .by_project
            .entry(project)
            .or_default()
            .insert(key, attachment.clone());
        Ok(Added::Done(attachment.clone()))
    }

    async fn list(
        &self,
        owner: UserId,
        project: ProjectId,
    ) -> Result<Option<Vec<Attachment>>, RepositoryError> {
        let state = self.read();
        Ok(state
            .projects
            .owns(owner, project)
            .then(|| state.attachments.of(project).cloned().collect()))
    }

    async fn find(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<Option<Attachment>, RepositoryError> {
        let state = self.read();
        if !state.projects.owns(owner, project) {
            return Ok(None);
        }
        let attachments = &state.attachments;
        Ok(attachments
            .keys
            .get(&id)
            .filter(|(stored_in, _)| *stored_in == project)
            .and_then(|(_, key)| attachments.by_project.get(&project)?.get(key))
            .cloned())
    }

    async fn remove(
        &self,
        owner: UserId,
        project: ProjectId,
        id: AttachmentId,
    ) -> Result<bool, RepositoryError> {
        let mut state = self.write();
        if !state.projects.owns(owner, project) {
            return Ok(false);
        }
        let now = state.stamp();
        let attachments = &mut state.attachments;
        let Some((_, key)) = attachments
            .keys
            .get(&id)
            .copied()
            .filter(|(stored_in, _)| *stored_in == project)
        else {
            return Ok(false);
        };
        attachments.keys.remove(&id);
        if let Some(of_project) = attachments.by_project.get_mut(&project) {
            of_project.remove(&key);
        }
        attachments.enqueue(BlobKey::new(project, id), now);
        Ok(true)
    }

    async fn pending_deletions(&self, limit: u32) -> Result<Vec<BlobKey>, RepositoryError> {
        let state = self.read();
        Ok(state
            .attachments
            .queue
            .iter()
            .take(limit as usize)
            .map(|(_, key)| *key)
            .collect())
    }

    async fn deletions_done(&self, keys: &[BlobKey]) -> Result<(), RepositoryError> {
        let mut state = self.write();
        let attachments = &mut state.attachments;
        for key in keys {
            if let Some(queued_at) = attachments.queued.remove(key) {
                attachments.queue.remove(&(queued_at, *key));
            }
        }
        Ok(())
    }

    async fn existing(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepositoryError> {
        let state = self.read();
        let attachments = &state.attachments;
        Ok(keys
            .iter()
            .filter(|key| {
                attachments
                    .keys
                    .get(&key.attachment())
                    .is_some_and(|(project, _)| *project == key.project())
            })
            .copied()
            .collect())
    }
}
