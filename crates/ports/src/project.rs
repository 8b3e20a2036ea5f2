//! Where projects are kept.

use crate::RepositoryError;
use async_trait::async_trait;
use trellis_domain::{
    NewProject, Page, PageRequest, Position, Project, ProjectFilter, ProjectId, ProjectPatch,
    ProjectSort, Timestamp, UserId,
};

/// What a conditional write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    /// It was written.
    Done(T),
    /// No such project of this owner.
    Missing,
    /// The project's version was not an expected one: nothing changed.
    Stale,
}

impl<T> Written<T> {
    /// What was written, if it was.
    pub fn done(self) -> Option<T> {
        match self {
            Self::Done(value) => Some(value),
            Self::Missing | Self::Stale => None,
        }
    }
}

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
    /// With `expected`, only if the project's `updated_at` is one of those,
    /// decided in the same atomic step as the write (no other write slips
    /// in between): [`Written::Stale`] otherwise, and nothing changes.
    /// [`Written::Missing`] if the project does not exist or belongs to
    /// someone else.
    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<Project>, RepositoryError>;

    /// Deletes the project, under the same `expected` condition as
    /// [`Self::update`].
    async fn delete(
        &self,
        owner: UserId,
        id: ProjectId,
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<()>, RepositoryError>;

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
