//! A user's own projects.

mod cursor;
mod fingerprint;

pub use cursor::CursorKey;

use async_trait::async_trait;
use cursor::Cursor;
use std::sync::Arc;
use trellis_domain::{
    Draft, IdempotencyKey, Precondition, Project, ProjectFilter, ProjectId, ProjectPatch,
    ProjectSort, Violation, Violations,
};
use trellis_ports::{
    Actor, Claim, Clock, Created, IdempotencyKeys, ListingWindow, ProjectList, ProjectListing,
    ProjectRepository, ProjectService, Resource, ServiceError, Written,
};

/// The [`ProjectService`] of Trellis. Every call is scoped to the caller:
/// another user's project is [`ServiceError::NotFound`] whatever the role.
#[derive(Clone)]
pub struct ProjectsService {
    projects: Arc<dyn ProjectRepository>,
    keys: Arc<dyn IdempotencyKeys>,
    clock: Arc<dyn Clock>,
    cursors: CursorKey,
}

impl std::fmt::Debug for ProjectsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectsService")
    }
}

impl ProjectsService {
    /// Projects kept in `projects`, the idempotency keys of creates in
    /// `keys`; `clock` tells the day a new deadline must be after; listing
    /// cursors are sealed with `cursors`.
    pub fn new(
        projects: Arc<dyn ProjectRepository>,
        keys: Arc<dyn IdempotencyKeys>,
        clock: Arc<dyn Clock>,
        cursors: CursorKey,
    ) -> Self {
        Self {
            projects,
            keys,
            clock,
            cursors,
        }
    }

    /// The next page's cursor, after `last`.
    fn next_cursor(&self, sort: ProjectSort, filter: &ProjectFilter, last: &Project) -> String {
        self.cursors.seal(&Cursor {
            sort,
            filter: filter.clone(),
            after: sort.position_of(last),
        })
    }

    /// The cursor `sealed`, checked against the sort and filters the
    /// request repeats (those it leaves out are the cursor's).
    fn continued(&self, listing: &ProjectListing, sealed: &str) -> Result<Cursor, ServiceError> {
        let cursor = self.cursors.open(sealed).ok_or_else(|| {
            ServiceError::Validation(vec![Violation::new("cursor", "is invalid")])
        })?;
        let mut report = Violations::default();
        let differs = "differs from the one the cursor was made with";
        if listing
            .statuses
            .is_some_and(|set| set != cursor.filter.statuses)
        {
            report.push("status", differs);
        }
        if listing.sort.is_some_and(|sort| sort != cursor.sort) {
            report.push("sort", differs);
        }
        if listing.search.is_some() && listing.search != cursor.filter.search {
            report.push("q", differs);
        }
        report.into_result(cursor).map_err(ServiceError::Validation)
    }
}

const NOT_FOUND: ServiceError = ServiceError::NotFound(Resource::Project);

#[async_trait]
impl ProjectService for ProjectsService {
    async fn list(
        &self,
        actor: &Actor,
        listing: ProjectListing,
    ) -> Result<ProjectList, ServiceError> {
        match &listing.window {
            ListingWindow::Page(request) => {
                let sort = listing.sort.unwrap_or_default();
                let filter = ProjectFilter {
                    statuses: listing.statuses.unwrap_or_default(),
                    search: listing.search,
                };
                let page = self
                    .projects
                    .page(actor.id, &filter, sort, *request)
                    .await?;
                let shown = request.offset() + page.items.len() as u64;
                let next_cursor = page
                    .items
                    .last()
                    .filter(|_| shown < page.total)
                    .map(|last| self.next_cursor(sort, &filter, last));
                Ok(ProjectList::Page { page, next_cursor })
            }
            ListingWindow::After { cursor, limit } => {
                let Cursor {
                    sort,
                    filter,
                    after,
                } = self.continued(&listing, cursor)?;
                // One more than shown tells whether a next page exists.
                let mut items = self
                    .projects
                    .page_after(actor.id, &filter, sort, &after, limit + 1)
                    .await?;
                let more = items.len() > *limit as usize;
                items.truncate(*limit as usize);
                let next_cursor = items
                    .last()
                    .filter(|_| more)
                    .map(|last| self.next_cursor(sort, &filter, last));
                Ok(ProjectList::After {
                    items,
                    limit: *limit,
                    next_cursor,
                })
            }
        }
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

    async fn create_once(
        &self,
        actor: &Actor,
        draft: Draft<ProjectPatch>,
        key: IdempotencyKey,
    ) -> Result<Created, ServiceError> {
        // A request that fails field by field failed the first time too:
        // nothing to claim or replay.
        if !draft.violations.is_empty() {
            let report = draft.into_new_project(self.clock.today()).err();
            return Err(ServiceError::Validation(report.unwrap_or_default()));
        }
        let fingerprint = fingerprint::of(&draft.fields);
        let token = match self
            .keys
            .claim(actor.id, &key, fingerprint, self.clock.now())
            .await?
        {
            Claim::Claimed(token) => token,
            Claim::Answered(project) => {
                return Ok(Created {
                    project,
                    replayed: true,
                });
            }
            Claim::Running => return Err(ServiceError::KeyInUse),
            Claim::Mismatch => return Err(ServiceError::KeyReused),
        };
        let created = match draft.into_new_project(self.clock.today()) {
            Ok(project) => self
                .keys
                .create_claimed(actor.id, &key, token, project)
                .await
                .map_err(ServiceError::from),
            Err(violations) => Err(ServiceError::Validation(violations)),
        };
        match created {
            Ok(Some(project)) => Ok(Created {
                project,
                replayed: false,
            }),
            // Taken over as abandoned: the request that took it answers.
            Ok(None) => Err(ServiceError::KeyInUse),
            Err(error) => {
                if let Err(release) = self.keys.release(actor.id, &key, token).await {
                    tracing::warn!(error = %release, "releasing an idempotency key failed; it frees itself when its lease ends");
                }
                Err(error)
            }
        }
    }

    async fn get(&self, actor: &Actor, id: ProjectId) -> Result<Project, ServiceError> {
        self.projects.find(actor.id, id).await?.ok_or(NOT_FOUND)
    }

    async fn update(
        &self,
        actor: &Actor,
        id: ProjectId,
        draft: Draft<ProjectPatch>,
        precondition: &Precondition,
    ) -> Result<Project, ServiceError> {
        let patch = draft
            .into_patch(self.clock.today())
            .map_err(ServiceError::Validation)?;
        let expected = precondition.changed_of(id.as_uuid());
        outcome(
            self.projects
                .update(actor.id, id, &patch, expected.as_deref())
                .await?,
        )
    }

    async fn delete(
        &self,
        actor: &Actor,
        id: ProjectId,
        precondition: &Precondition,
    ) -> Result<(), ServiceError> {
        let expected = precondition.changed_of(id.as_uuid());
        outcome(
            self.projects
                .delete(actor.id, id, expected.as_deref())
                .await?,
        )
    }
}

/// A conditional write's outcome as the caller learns it.
fn outcome<T>(written: Written<T>) -> Result<T, ServiceError> {
    match written {
        Written::Done(value) => Ok(value),
        Written::Missing => Err(NOT_FOUND),
        Written::Stale => Err(ServiceError::PreconditionFailed),
    }
}
