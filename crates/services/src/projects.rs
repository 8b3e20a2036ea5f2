//! A user's own projects.

use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{
    NewProject, Page, PageRequest, Project, ProjectId, ProjectPatch, ProjectStatus,
};
use trellis_ports::{Actor, ProjectRepository, ProjectService, Resource, ServiceError};

/// The [`ProjectService`] of Trellis. Every call is scoped to the caller:
/// another user's project is [`ServiceError::NotFound`] whatever the role.
#[derive(Clone)]
pub struct ProjectsService {
    projects: Arc<dyn ProjectRepository>,
}

impl std::fmt::Debug for ProjectsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectsService")
    }
}

impl ProjectsService {
    /// Projects kept in `projects`.
    pub fn new(projects: Arc<dyn ProjectRepository>) -> Self {
        Self { projects }
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

    async fn create(&self, actor: &Actor, project: NewProject) -> Result<Project, ServiceError> {
        Ok(self.projects.create(actor.id, project).await?)
    }

    async fn get(&self, actor: &Actor, id: ProjectId) -> Result<Project, ServiceError> {
        self.projects.find(actor.id, id).await?.ok_or(NOT_FOUND)
    }

    async fn update(
        &self,
        actor: &Actor,
        id: ProjectId,
        patch: ProjectPatch,
    ) -> Result<Project, ServiceError> {
        patch
            .require_change()
            .map_err(|violation| ServiceError::Validation(vec![violation]))?;
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
