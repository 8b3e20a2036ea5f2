//! Projects, grouped by owner in listing order.

use crate::store::InMemoryStore;
use async_trait::async_trait;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, HashMap},
};
use trellis_domain::{
    EventKind, NewProject, Page, PageRequest, Project, ProjectId, ProjectPatch, ProjectStatus,
    Timestamp, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError};

type OrderKey = (Reverse<Timestamp>, ProjectId);

#[derive(Debug, Default)]
pub(crate) struct Projects {
    by_owner: HashMap<UserId, BTreeMap<OrderKey, Project>>,
    keys: HashMap<ProjectId, (UserId, OrderKey)>,
}

impl Projects {
    /// Drops every project of `owner` (the cascade of deleting an account).
    pub(crate) fn remove_owner(&mut self, owner: UserId) {
        if let Some(projects) = self.by_owner.remove(&owner) {
            for (_, id) in projects.keys() {
                self.keys.remove(id);
            }
        }
    }

    fn key_of(&self, owner: UserId, id: ProjectId) -> Option<OrderKey> {
        self.keys
            .get(&id)
            .filter(|(stored_owner, _)| *stored_owner == owner)
            .map(|(_, key)| *key)
    }

    fn get_mut(&mut self, owner: UserId, id: ProjectId) -> Option<&mut Project> {
        let key = self.key_of(owner, id)?;
        self.by_owner.get_mut(&owner)?.get_mut(&key)
    }
}

#[async_trait]
impl ProjectRepository for InMemoryStore {
    async fn create(&self, owner: UserId, new: NewProject) -> Result<Project, RepositoryError> {
        let mut state = self.write();
        if !state.users.contains(owner) {
            return Err(RepositoryError::ReferenceMissing {
                constraint: "projects_user_id_fkey".into(),
            });
        }
        if state.projects.keys.contains_key(&new.id) {
            return Err(RepositoryError::Conflict {
                constraint: "projects_pkey".into(),
            });
        }
        let now = state.stamp();
        let project = Project {
            id: new.id,
            user_id: owner,
            name: new.name,
            description: new.description,
            status: new.status,
            budget: new.budget,
            deadline: new.deadline,
            created_at: now,
            updated_at: now,
        };
        let key = (Reverse(now), project.id);
        let projects = &mut state.projects;
        projects.keys.insert(project.id, (owner, key));
        projects
            .by_owner
            .entry(owner)
            .or_default()
            .insert(key, project.clone());
        self.record(
            &mut state,
            EventKind::Created,
            owner,
            project.id,
            Some(project.clone()),
        );
        Ok(project)
    }

    async fn find(&self, owner: UserId, id: ProjectId) -> Result<Option<Project>, RepositoryError> {
        let state = self.read();
        let projects = &state.projects;
        Ok(projects
            .key_of(owner, id)
            .and_then(|key| projects.by_owner.get(&owner)?.get(&key).cloned()))
    }

    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
    ) -> Result<Option<Project>, RepositoryError> {
        let mut state = self.write();
        if state.projects.key_of(owner, id).is_none() {
            return Ok(None);
        }
        let now = state.stamp();
        let updated = state.projects.get_mut(owner, id).map(|project| {
            project.apply(patch);
            project.updated_at = now;
            project.clone()
        });
        if let Some(project) = &updated {
            self.record(
                &mut state,
                EventKind::Updated,
                owner,
                id,
                Some(project.clone()),
            );
        }
        Ok(updated)
    }

    async fn delete(&self, owner: UserId, id: ProjectId) -> Result<bool, RepositoryError> {
        let mut state = self.write();
        let projects = &mut state.projects;
        let Some(key) = projects.key_of(owner, id) else {
            return Ok(false);
        };
        projects.keys.remove(&id);
        if let Some(owned) = projects.by_owner.get_mut(&owner) {
            owned.remove(&key);
        }
        self.record(&mut state, EventKind::Deleted, owner, id, None);
        Ok(true)
    }

    async fn page(
        &self,
        owner: UserId,
        status: Option<ProjectStatus>,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError> {
        let state = self.read();
        let Some(owned) = state.projects.by_owner.get(&owner) else {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
                request,
            });
        };
        let matching = || {
            owned
                .values()
                .filter(move |project| status.is_none_or(|status| project.status == status))
        };
        let total = match status {
            None => owned.len(),
            Some(_) => matching().count(),
        };
        let items = matching()
            .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
            .take(request.limit() as usize)
            .cloned()
            .collect();
        Ok(Page {
            items,
            total: total as u64,
            request,
        })
    }
}
