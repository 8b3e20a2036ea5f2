//! A user's own projects.

use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{Draft, Page, PageRequest, Project, ProjectId, ProjectPatch, ProjectStatus};
use trellis_ports::{Actor, Clock, ProjectRepository, ProjectService, Resource, ServiceError};

/// The [`ProjectService`] of Trellis. Every call is scoped to the caller:
/// another user's project is [`ServiceError::NotFound`] whatever the role.
#[derive(Clone)]
pub struct ProjectsService {
    projects: Arc<dyn ProjectRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ProjectsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectsService")
    }
}

impl ProjectsService {
    /// Projects kept in `projects`; `clock` tells the day a new deadline
    /// must be after.
    pub fn new(projects: Arc<dyn ProjectRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { projects, clock }
    }
}

const NOT_FOUND: ServiceError = ServiceError::NotFound(Resource::Project);

#[async_trait]
impl ProjectService for ProjectsService {
    async fn list(
        &self,
        actor: &Actor,
        status: Option<ProjectStatus>,
        request: PageRequest,
    ) -> Result<Page<Project>, ServiceError> {
        Ok(self.projects.page(actor.id, status, request).await?)
    }

    async fn create(
        &self,
        actor: &Actor,
        draft: Draft<ProjectPatch>,
    ) -> Result<Project, ServiceError> {
        let project = draft
            .into_new_project(self.clock.today())
            .map_err(ServiceError::Validation)?;
        Ok(self.projects.create(actor.id, project).await?)
    }

    async fn get(&self, actor: &Actor, id: ProjectId) -> Result<Project, ServiceError> {
        self.projects.find(actor.id, id).await?.ok_or(NOT_FOUND)
    }

    async fn update(
        &self,
        actor: &Actor,
        id: ProjectId,
        draft: Draft<ProjectPatch>,
    ) -> Result<Project, ServiceError> {
        let patch = draft
            .into_patch(self.clock.today())
            .map_err(ServiceError::Validation)?;
        self.projects
            .update(actor.id, id, &patch)
            .await?
            .ok_or(NOT_FOUND)
    }

    async fn delete(&self, actor: &Actor, id: ProjectId) -> Result<(), ServiceError> {
        if self.projects.delete(actor.id, id).await? {
            Ok(())
        } else {
            Err(NOT_FOUND)
        }
    }
}
