//! Projects, grouped by owner in listing order.

use crate::store::{InMemoryStore, State};
use async_trait::async_trait;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, HashMap},
};
use trellis_domain::{
    EventKind, NewProject, Page, PageRequest, Position, Project, ProjectFilter, ProjectId,
    ProjectPatch, ProjectSort, Timestamp, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError, Written};

type OrderKey = (Reverse<Timestamp>, ProjectId);

#[derive(Debug, Default)]
pub(crate) struct Projects {
    by_owner: HashMap<UserId, BTreeMap<OrderKey, Project>>,
    keys: HashMap<ProjectId, (UserId, OrderKey)>,
}

impl Projects {
    /// Drops every project of `owner` (the cascade of deleting an account);
    /// which ones.
    pub(crate) fn remove_owner(&mut self, owner: UserId) -> Vec<ProjectId> {
        let removed: Vec<ProjectId> = self
            .by_owner
            .remove(&owner)
            .into_iter()
            .flat_map(|projects| projects.into_keys().map(|(_, id)| id))
            .collect();
        for id in &removed {
            self.keys.remove(id);
        }
        removed
    }

    /// Whether `owner` has a project `id`.
    pub(crate) fn owns(&self, owner: UserId, id: ProjectId) -> bool {
        self.key_of(owner, id).is_some()
    }

    fn key_of(&self, owner: UserId, id: ProjectId) -> Option<OrderKey> {
        self.keys
            .get(&id)
            .filter(|(stored_owner, _)| *stored_owner == owner)
            .map(|(_, key)| *key)
    }

    /// `owner`'s projects that `filter` shows, in `sort` order.
    fn listed(&self, owner: UserId, filter: &ProjectFilter, sort: ProjectSort) -> Vec<&Project> {
        let mut listed: Vec<(Position, &Project)> = self
            .by_owner
            .get(&owner)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter(|project| filter.matches(project))
            .map(|project| (sort.position_of(project), project))
            .collect();
        listed.sort_by(|(a, _), (b, _)| sort.compare(a, b));
        listed.into_iter().map(|(_, project)| project).collect()
    }

    /// Whether a write of `owner`'s project `id` may go ahead: it exists
    /// and, with `expected`, was last changed at one of those instants.
    fn check(&self, owner: UserId, id: ProjectId, expected: Option<&[Timestamp]>) -> Written<()> {
        let found = self
            .key_of(owner, id)
            .and_then(|key| self.by_owner.get(&owner)?.get(&key));
        match (found, expected) {
            (None, _) => Written::Missing,
            (Some(project), Some(expected)) if !expected.contains(&project.updated_at) => {
                Written::Stale
            }
            (Some(_), _) => Written::Done(()),
        }
    }

    fn get_mut(&mut self, owner: UserId, id: ProjectId) -> Option<&mut Project> {
        let key = self.key_of(owner, id)?;
        self.by_owner.get_mut(&owner)?.get_mut(&key)
    }
}

impl InMemoryStore {
    /// Stores a new project of `owner` in `state`, with its event.
    pub(crate) fn insert_project(
        &self,
        state: &mut State,
        owner: UserId,
        new: NewProject,
    ) -> Result<Project, RepositoryError> {
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
            state,
            EventKind::Created,
            owner,
            project.id,
            Some(project.clone()),
        );
        Ok(project)
    }
}

#[async_trait]
impl ProjectRepository for InMemoryStore {
    async fn create(&self, owner: UserId, new: NewProject) -> Result<Project, RepositoryError> {
        self.insert_project(&mut self.write(), owner, new)
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
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<Project>, RepositoryError> {
        let mut state = self.write();
        match state.projects.check(owner, id, expected) {
            Written::Done(()) => {}
            Written::Missing => return Ok(Written::Missing),
            Written::Stale => return Ok(Written::Stale),
        }
        let now = state.stamp();
        let Some(project) = state.projects.get_mut(owner, id) else {
            return Ok(Written::Missing);
        };
        project.apply(patch);
        project.updated_at = now;
        let updated = project.clone();
        self.record(
            &mut state,
            EventKind::Updated,
            owner,
            id,
            Some(updated.clone()),
        );
        Ok(Written::Done(updated))
    }

    async fn delete(
        &self,
        owner: UserId,
        id: ProjectId,
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<()>, RepositoryError> {
        let mut state = self.write();
        let projects = &mut state.projects;
        let checked = projects.check(owner, id, expected);
        if let (Written::Done(()), Some(key)) = (&checked, projects.key_of(owner, id)) {
            projects.keys.remove(&id);
            if let Some(owned) = projects.by_owner.get_mut(&owner) {
                owned.remove(&key);
            }
        }
        if checked == Written::Done(()) {
            let now = state.stamp();
            state.attachments.remove_project(id, now);
            self.record(&mut state, EventKind::Deleted, owner, id, None);
        }
        Ok(checked)
    }

    async fn page(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError> {
        let state = self.read();
        let listed = state.projects.listed(owner, filter, sort);
        let items = listed
            .iter()
            .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
            .take(request.limit() as usize)
            .map(|project| (*project).clone())
            .collect();
        Ok(Page {
            items,
            total: listed.len() as u64,
            request,
        })
    }

    async fn page_after(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        after: &Position,
        limit: u32,
    ) -> Result<Vec<Project>, RepositoryError> {
        let state = self.read();
        Ok(state
            .projects
            .listed(owner, filter, sort)
            .into_iter()
            .filter(|project| sort.is_after(project, after))
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
