//! Where projects are kept.

use crate::RepositoryError;
use async_trait::async_trait;
use trellis_domain::{
    NewProject, Page, PageRequest, Position, Project, ProjectFilter, ProjectId, ProjectPatch,
    ProjectSort, UserId,
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

    /// One page of `owner`'s projects that `filter` shows, in `sort` order
    /// (ties by `id` in the same direction, projects without a value for
    /// the key last), with the total count of matching projects. A page
    /// past the end is empty but still carries the total.
    async fn page(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError>;

    /// At most `limit` of `owner`'s projects that `filter` shows and that
    /// come after `after` in `sort` order, in that order: a keyset page.
    /// It MUST cost the same however deep `after` is (no count, no offset).
    async fn page_after(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        after: &Position,
        limit: u32,
    ) -> Result<Vec<Project>, RepositoryError>;
}
