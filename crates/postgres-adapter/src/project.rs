//! Projects, in the `projects` table. Every statement is scoped to the owner.
//!
//! Budgets are exact: the domain holds cents, the column `NUMERIC(12,2)`;
//! SQL converts both ways (`$n::int8::numeric / 100`, `(budget * 100)::int8`),
//! so no float ever touches an amount.

use crate::{
    PgStore, failure,
    page::PageWindow,
    store::{Sql, inserted},
};
use async_trait::async_trait;
use time::Date;
use tokio_postgres::{Row, types::Type};
use trellis_domain::{
    Budget, Change, Deadline, Description, NewProject, Page, PageRequest, Project, ProjectId,
    ProjectName, ProjectPatch, ProjectStatus, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError};
use uuid::Uuid;

const INSERT: Sql = Sql {
    text: "\
INSERT INTO projects (id, user_id, name, description, status, budget, deadline)
VALUES ($1, $2, $3, $4, $5, $6::int8::numeric / 100, $7)
RETURNING id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
          deadline, created_at, updated_at",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::DATE,
    ],
};

const FIND: Sql = Sql {
    text: "\
SELECT id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
       deadline, created_at, updated_at
FROM projects WHERE id = $1 AND user_id = $2",
    types: &[Type::UUID, Type::UUID],
};

// One fixed statement for every patch, atomic on the row: NULL keeps a
// required field; a flag says whether an optional one is set (to the next
// parameter, NULL clearing it). The trigger bumps updated_at.
const UPDATE: Sql = Sql {
    text: "\
UPDATE projects
SET name = COALESCE($3::text, name),
    status = COALESCE($4::text, status),
    description = CASE WHEN $5::bool THEN $6::text ELSE description END,
    budget = CASE WHEN $7::bool THEN $8::int8::numeric / 100 ELSE budget END,
    deadline = CASE WHEN $9::bool THEN $10::date ELSE deadline END
WHERE id = $1 AND user_id = $2
RETURNING id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
          deadline, created_at, updated_at",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::BOOL,
        Type::INT8,
        Type::BOOL,
        Type::DATE,
    ],
};

const DELETE: Sql = Sql {
    text: "DELETE FROM projects WHERE id = $1 AND user_id = $2 RETURNING id",
    types: &[Type::UUID, Type::UUID],
};

/// A page of one owner's projects (`$1`), all or those with status `$2`,
/// `$3` per page after `$4`, with their total; see [`crate::page`].
///
/// The page's ids are picked from the `(user_id, created_at DESC, id)
/// INCLUDE (status)` index alone (an index-only scan, filter included), and
/// only those rows are read from the table. Reading whole rows while
/// skipping a large offset would make the planner prefer collecting all the
/// owner's rows and sorting them.
pub(crate) const PAGE: Sql = Sql {
    text: "\
SELECT matching.total, p.id, p.user_id, p.name, p.description, p.status,
       (p.budget * 100)::int8 AS budget_cents, p.deadline, p.created_at, p.updated_at
FROM (
    SELECT count(*) AS total FROM projects
    WHERE user_id = $1 AND ($2::text IS NULL OR status = $2::text)
) AS matching
LEFT JOIN LATERAL (
    SELECT id FROM projects
    WHERE user_id = $1 AND ($2::text IS NULL OR status = $2::text)
    ORDER BY created_at DESC, id
    LIMIT $3 OFFSET $4
) AS page ON true
LEFT JOIN projects AS p ON p.id = page.id
ORDER BY p.created_at DESC, p.id",
    types: &[Type::UUID, Type::TEXT, Type::INT8, Type::INT8],
};

#[async_trait]
impl ProjectRepository for PgStore {
    async fn create(&self, owner: UserId, project: NewProject) -> Result<Project, RepositoryError> {
        let description = project.description.as_ref().map(Description::as_str);
        let budget = project.budget.map(Budget::cents);
        let deadline = project.deadline.map(Deadline::date);
        let rows = self
            .rows(
                &INSERT,
                &[
                    &project.id.as_uuid(),
                    &owner.as_uuid(),
                    &project.name.as_str(),
                    &description,
                    &project.status.as_str(),
                    &budget,
                    &deadline,
                ],
            )
            .await?;
        inserted(&rows).and_then(project_from)
    }

    async fn find(&self, owner: UserId, id: ProjectId) -> Result<Option<Project>, RepositoryError> {
        let rows = self.rows(&FIND, &[&id.as_uuid(), &owner.as_uuid()]).await?;
        rows.first().map(project_from).transpose()
    }

    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
    ) -> Result<Option<Project>, RepositoryError> {
        let name = patch.name.as_ref().map(ProjectName::as_str);
        let status = patch.status.map(ProjectStatus::as_str);
        let (set_description, description) = column(&patch.description, |d| d.as_str());
        let (set_budget, budget) = column(&patch.budget, |b| b.cents());
        let (set_deadline, deadline): (bool, Option<Date>) = column(&patch.deadline, |d| d.date());
        let rows = self
            .rows(
                &UPDATE,
                &[
                    &id.as_uuid(),
                    &owner.as_uuid(),
                    &name,
                    &status,
                    &set_description,
                    &description,
                    &set_budget,
                    &budget,
                    &set_deadline,
                    &deadline,
                ],
            )
            .await?;
        rows.first().map(project_from).transpose()
    }

    async fn delete(&self, owner: UserId, id: ProjectId) -> Result<bool, RepositoryError> {
        let rows = self
            .rows(&DELETE, &[&id.as_uuid(), &owner.as_uuid()])
            .await?;
        Ok(!rows.is_empty())
    }

    async fn page(
        &self,
        owner: UserId,
        status: Option<ProjectStatus>,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError> {
        let window = PageWindow::of(request);
        let status = status.map(ProjectStatus::as_str);
        let rows = self
            .rows(
                &PAGE,
                &[&owner.as_uuid(), &status, &window.limit, &window.offset],
            )
            .await?;
        window.collect(&rows, project_from)
    }
}

/// An optional column's change as the update's "set it" flag and new value.
fn column<'a, T, V>(change: &'a Change<T>, value: impl FnOnce(&'a T) -> V) -> (bool, Option<V>) {
    match change {
        Change::Keep => (false, None),
        Change::Set(new) => (true, Some(value(new))),
        Change::Clear => (true, None),
    }
}

/// A project from a row holding the columns the statements above select.
pub(crate) fn project_from(row: &Row) -> Result<Project, RepositoryError> {
    let name: String = row.try_get("name").map_err(failure::from_query)?;
    let description: Option<String> = row.try_get("description").map_err(failure::from_query)?;
    let status: String = row.try_get("status").map_err(failure::from_query)?;
    let budget: Option<i64> = row.try_get("budget_cents").map_err(failure::from_query)?;
    let deadline: Option<Date> = row.try_get("deadline").map_err(failure::from_query)?;
    let id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    let user_id: Uuid = row.try_get("user_id").map_err(failure::from_query)?;
    Ok(Project {
        id: id.into(),
        user_id: user_id.into(),
        name: ProjectName::parse(&name).map_err(|e| failure::unexpected("name", e))?,
        description: description
            .map(|d| Description::parse(&d))
            .transpose()
            .map_err(|e| failure::unexpected("description", e))?,
        status: status
            .parse()
            .map_err(|e| failure::unexpected("status", e))?,
        budget: budget
            .map(Budget::from_cents)
            .transpose()
            .map_err(|e| failure::unexpected("budget", e))?,
        deadline: deadline.map(Deadline::new),
        created_at: row.try_get("created_at").map_err(failure::from_query)?,
        updated_at: row.try_get("updated_at").map_err(failure::from_query)?,
    })
}
