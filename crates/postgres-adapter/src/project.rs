//! Projects, in the `projects` table. Every statement is scoped to the owner.
//!
//! Budgets are exact: the domain holds cents, the column `NUMERIC(12,2)`;
//! SQL converts both ways (`$n::int8::numeric / 100`, `(budget * 100)::int8`),
//! so no float ever touches an amount.

mod listing;

use crate::{
    PgStore, failure,
    page::PageWindow,
    store::{Sql, inserted},
};
use async_trait::async_trait;
pub(crate) use listing::{Kind, statement};
use time::Date;
use time::OffsetDateTime;
use tokio_postgres::{
    Row,
    types::{ToSql, Type},
};
use trellis_domain::{
    Budget, Change, Deadline, Description, Direction, NewProject, Page, PageRequest, Position,
    Project, ProjectFilter, ProjectId, ProjectName, ProjectPatch, ProjectSort, ProjectStatus,
    SearchQuery, SortKey, SortValue, Timestamp, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError, Written};
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
//
// `$11`, when not NULL, lists the versions (updated_at) the write expects:
// the row is written only if it is at one of them, checked by the UPDATE's
// own WHERE (re-checked on the newest row version if a concurrent write got
// there first), so no write slips in between. `found` tells a stale row
// (found, nothing returned) from a missing one (no row at all).
const UPDATE: Sql = Sql {
    text: "\
WITH target AS (SELECT 1 FROM projects WHERE id = $1 AND user_id = $2),
updated AS (
    UPDATE projects
    SET name = COALESCE($3::text, name),
        status = COALESCE($4::text, status),
        description = CASE WHEN $5::bool THEN $6::text ELSE description END,
        budget = CASE WHEN $7::bool THEN $8::int8::numeric / 100 ELSE budget END,
        deadline = CASE WHEN $9::bool THEN $10::date ELSE deadline END
    WHERE id = $1 AND user_id = $2
      AND ($11::timestamptz[] IS NULL OR updated_at = ANY($11::timestamptz[]))
    RETURNING id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
              deadline, created_at, updated_at
)
SELECT true AS found, updated.* FROM target LEFT JOIN updated ON true",
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
        Type::TIMESTAMPTZ_ARRAY,
    ],
};

// The same condition as UPDATE's `$11`, in `$3`.
const DELETE: Sql = Sql {
    text: "\
WITH target AS (SELECT 1 FROM projects WHERE id = $1 AND user_id = $2),
deleted AS (
    DELETE FROM projects
    WHERE id = $1 AND user_id = $2
      AND ($3::timestamptz[] IS NULL OR updated_at = ANY($3::timestamptz[]))
    RETURNING id
)
SELECT true AS found, deleted.id FROM target LEFT JOIN deleted ON true",
    types: &[Type::UUID, Type::UUID, Type::TIMESTAMPTZ_ARRAY],
};

#[async_trait]
impl ProjectRepository for PgStore {
    async fn create(&self, owner: UserId, project: NewProject) -> Result<Project, RepositoryError> {
        let row = NewRow::of(owner, &project);
        let _writing = self.writing(owner);
        let rows = self.rows(&INSERT, &row.params()).await?;
        inserted(&rows).and_then(project_from)
    }

    async fn find(&self, owner: UserId, id: ProjectId) -> Result<Option<Project>, RepositoryError> {
        let rows = self.read(&FIND, &[&id.as_uuid(), &owner.as_uuid()]).await?;
        rows.first().map(project_from).transpose()
    }

    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<Project>, RepositoryError> {
        let name = patch.name.as_ref().map(ProjectName::as_str);
        let status = patch.status.map(ProjectStatus::as_str);
        let (set_description, description) = column(&patch.description, |d| d.as_str());
        let (set_budget, budget) = column(&patch.budget, |b| b.cents());
        let (set_deadline, deadline): (bool, Option<Date>) = column(&patch.deadline, |d| d.date());
        let _writing = self.writing(owner);
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
                    &expected,
                ],
            )
            .await?;
        written(&rows, project_from)
    }

    async fn delete(
        &self,
        owner: UserId,
        id: ProjectId,
        expected: Option<&[Timestamp]>,
    ) -> Result<Written<()>, RepositoryError> {
        let _writing = self.writing(owner);
        let rows = self
            .rows(&DELETE, &[&id.as_uuid(), &owner.as_uuid(), &expected])
            .await?;
        written(&rows, |_| Ok(()))
    }

    async fn page(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError> {
        let window = PageWindow::of(request);
        let shown = Shown::of(filter);
        let owner = owner.as_uuid();
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![&owner, &shown.statuses, &window.limit, &window.offset];
        shown.push_search(&mut params);
        let sql = statement(sort, Kind::Offset, shown.search.is_some());
        let rows = self.read(sql, &params).await?;
        window.collect(&rows, project_from)
    }

    async fn page_after(
        &self,
        owner: UserId,
        filter: &ProjectFilter,
        sort: ProjectSort,
        after: &Position,
        limit: u32,
    ) -> Result<Vec<Project>, RepositoryError> {
        let shown = Shown::of(filter);
        let owner = owner.as_uuid();
        let limit = i64::from(limit);
        let id = after.id.as_uuid();
        let value = sort_value(sort.key, after.value.as_ref());
        // Past a project without a value, only those whose id comes after
        // it; past one with a value, every project without one.
        let nulls_after = match (&after.value, sort.direction) {
            (None, _) => id,
            (Some(_), Direction::Ascending) => Uuid::nil(),
            (Some(_), Direction::Descending) => Uuid::max(),
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![
            &owner,
            &shown.statuses,
            &limit,
            &id,
            value.as_ref(),
            &nulls_after,
        ];
        shown.push_search(&mut params);
        let sql = statement(sort, Kind::Keyset, shown.search.is_some());
        let rows = self.read(sql, &params).await?;
        rows.iter().map(project_from).collect()
    }
}

/// A [`ProjectFilter`] as the listing statements' parameters.
struct Shown {
    statuses: Vec<&'static str>,
    /// The longest term's LIKE pattern, and the other terms'.
    search: Option<(String, Vec<String>)>,
}

impl Shown {
    fn of(filter: &ProjectFilter) -> Self {
        Self {
            statuses: filter.statuses.iter().map(ProjectStatus::as_str).collect(),
            search: filter.search.as_ref().map(patterns),
        }
    }

    fn push_search<'a>(&'a self, params: &mut Vec<&'a (dyn ToSql + Sync)>) {
        if let Some((longest, others)) = &self.search {
            params.push(longest);
            params.push(others);
        }
    }
}

/// Each term as a LIKE pattern matching it anywhere (its `%`, `_` and `\`
/// escaped), the longest first: the most selective for the trigram index.
fn patterns(search: &SearchQuery) -> (String, Vec<String>) {
    let mut terms: Vec<&str> = search.terms().collect();
    terms.sort_by_key(|term| std::cmp::Reverse(term.chars().count()));
    let mut patterns = terms.into_iter().map(|term| {
        let mut pattern = String::with_capacity(term.len() + 2);
        pattern.push('%');
        for c in term.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    });
    let longest = patterns.next().unwrap_or_else(|| "%".to_owned());
    (longest, patterns.collect())
}

/// A sort value as the parameter of the key's type (NULL when absent).
fn sort_value(key: SortKey, value: Option<&SortValue>) -> Box<dyn ToSql + Sync + Send> {
    match (key, value) {
        (_, Some(SortValue::Time(at))) => Box::new(*at),
        (_, Some(SortValue::Name(name))) => Box::new(name.clone()),
        (_, Some(SortValue::Date(date))) => Box::new(*date),
        (_, Some(SortValue::Cents(cents))) => Box::new(*cents),
        (SortKey::CreatedAt | SortKey::UpdatedAt, None) => Box::new(None::<OffsetDateTime>),
        (SortKey::Name, None) => Box::new(None::<String>),
        (SortKey::Deadline, None) => Box::new(None::<Date>),
        (SortKey::Budget, None) => Box::new(None::<i64>),
    }
}

/// What a conditional write's one row (if any) says: none, the project
/// is missing; a NULL `id`, it was stale; else what `decode` makes of it.
fn written<T>(
    rows: &[Row],
    decode: impl Fn(&Row) -> Result<T, RepositoryError>,
) -> Result<Written<T>, RepositoryError> {
    let Some(row) = rows.first() else {
        return Ok(Written::Missing);
    };
    let id: Option<Uuid> = row.try_get("id").map_err(failure::from_query)?;
    match id {
        Some(_) => decode(row).map(Written::Done),
        None => Ok(Written::Stale),
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
/// A new project's columns as the inserting statements take them, `$1` to
/// `$7`: id, owner, name, description, status, budget in cents, deadline.
pub(crate) struct NewRow<'a> {
    id: Uuid,
    owner: Uuid,
    name: &'a str,
    description: Option<&'a str>,
    status: &'a str,
    budget: Option<i64>,
    deadline: Option<Date>,
}

impl<'a> NewRow<'a> {
    pub(crate) fn of(owner: UserId, project: &'a NewProject) -> Self {
        Self {
            id: project.id.as_uuid(),
            owner: owner.as_uuid(),
            name: project.name.as_str(),
            description: project.description.as_ref().map(Description::as_str),
            status: project.status.as_str(),
            budget: project.budget.map(Budget::cents),
            deadline: project.deadline.map(Deadline::date),
        }
    }

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.id,
            &self.owner,
            &self.name,
            &self.description,
            &self.status,
            &self.budget,
            &self.deadline,
        ]
    }
}

pub(crate) fn project_from(row: &Row) -> Result<Project, RepositoryError> {
    // Text is read in place (`&str`) and copied once, into the domain value.
    let name: &str = row.try_get("name").map_err(failure::from_query)?;
    let description: Option<&str> = row.try_get("description").map_err(failure::from_query)?;
    let status: &str = row.try_get("status").map_err(failure::from_query)?;
    let budget: Option<i64> = row.try_get("budget_cents").map_err(failure::from_query)?;
    let deadline: Option<Date> = row.try_get("deadline").map_err(failure::from_query)?;
    let id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    let user_id: Uuid = row.try_get("user_id").map_err(failure::from_query)?;
    Ok(Project {
        id: id.into(),
        user_id: user_id.into(),
        name: ProjectName::parse(name).map_err(|e| failure::unexpected("name", e))?,
        description: description
            .map(Description::parse)
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
