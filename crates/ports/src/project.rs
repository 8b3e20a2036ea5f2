//! Where projects are kept.

use crate::RepositoryError;
use async_trait::async_trait;
use trellis_domain::{
    NewProject, Page, PageRequest, Project, ProjectId, ProjectPatch, ProjectStatus, UserId,
};

/// Stores projects. Every method is scoped to an owner: a project of
/// another user is indistinguishable from a missing one.
#[async_trait]
pub trait ProjectRepository: Send + Sync + 'static {
    /// Stores a new project of `owner`.
    ///
    /// MUST return [`RepositoryError::ReferenceMissing`] if `owner` does not
    /// exist.
    async fn create(&self, owner: UserId, project: NewProject) -> Result<Project, RepositoryError>;

    /// The project `id` if it exists and belongs to `owner`.
    async fn find(&self, owner: UserId, id: ProjectId) -> Result<Option<Project>, RepositoryError>;

    /// Applies the fields that `patch` touches, atomically (a concurrent
    /// update of other fields is never lost), and bumps `updated_at`.
    /// `Ok(None)` if the project does not exist or belongs to someone else.
    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
    ) -> Result<Option<Project>, RepositoryError>;

    /// Deletes the project. `Ok(false)` if it does not exist or belongs to
    /// someone else.
    async fn delete(&self, owner: UserId, id: ProjectId) -> Result<bool, RepositoryError>;

    /// One page of `owner`'s projects, optionally only those with `status`,
    /// newest first (`created_at` descending, ties by `id` ascending), with
    /// the total count of matching projects. A page past the end is empty
    /// but still carries the total.
    async fn page(
        &self,
        owner: UserId,
        status: Option<ProjectStatus>,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError>;
}
