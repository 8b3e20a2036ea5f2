//! Projects on the wire: the create and update bodies, and the project as
//! clients see it.
//!
//! Create and update read the same fields ([`fields`]); `id`, `user_id`
//! and timestamps in a body are ignored. An update (PUT and PATCH alike)
//! changes only the fields it names: `null` clears `description`,
//! `budget` or `deadline`. `budget` is a JSON number (a string is refused)
//! or, in a form, its text; either way it is read exactly from its decimal
//! digits, never through a float. The rules that need the clock (a
//! deadline after today) are the service's: bodies are read into a
//! [`Draft`] it finishes.

mod fields;
#[cfg(test)]
mod tests;

use super::timestamp;
use crate::body::{Body, Fields, FromFields};
use fields::{BUDGET, DEADLINE, DESCRIPTION, NAME, STATUS};

pub(crate) use fields::status as status_schema;

use serde::{Serialize, Serializer};
use trellis_domain::{
    Budget, Deadline, Description, Draft, Project, ProjectId, ProjectName, ProjectPatch, Timestamp,
    UserId, Violation,
};
use utoipa::ToSchema;

/// `POST /api/projects`: `name` required; `description`, `status`
/// (default active), `budget`, `deadline` optional.
#[derive(Debug)]
pub struct NewProjectBody(pub Draft<ProjectPatch>);

impl FromFields for NewProjectBody {
    const ACCEPTS_FORM: bool = true;
    const BODY: Body = Body::of(&[
        (&NAME, true),
        (&DESCRIPTION, false),
        (&STATUS, false),
        (&BUDGET, false),
        (&DEADLINE, false),
    ]);

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let patch = fields::read(&mut fields, true);
        Ok(Self(fields.into_draft(patch)))
    }
}

/// `PUT` / `PATCH /api/projects/{id}`: any of the fields, at least one.
#[derive(Debug)]
pub struct ProjectUpdateBody(pub Draft<ProjectPatch>);

impl FromFields for ProjectUpdateBody {
    const ACCEPTS_FORM: bool = true;
    const BODY: Body = Body::of(&[
        (&NAME, false),
        (&DESCRIPTION, false),
        (&STATUS, false),
        (&BUDGET, false),
        (&DEADLINE, false),
    ])
    .at_least_one();

    fn from_fields(mut fields: Fields) -> Result<Self, Vec<Violation>> {
        let patch = fields::read(&mut fields, false);
        Ok(Self(fields.into_draft(patch)))
    }
}

/// A project as clients see it.
// The domain values themselves, moved in, not copied: a page renders 20.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Project)]
pub struct ProjectView {
    #[schema(value_type = String, format = Uuid)]
    id: ProjectId,
    /// The owner.
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    #[schema(value_type = String, example = "Apollo")]
    name: ProjectName,
    #[schema(value_type = Option<String>, example = "Landing on the moon")]
    description: Option<Description>,
    #[schema(schema_with = fields::status)]
    status: &'static str,
    #[serde(serialize_with = "serialize_budget")]
    #[schema(schema_with = fields::budget_or_null)]
    budget: Option<Budget>,
    #[schema(value_type = Option<String>, format = Date, example = "2027-01-31")]
    deadline: Option<Deadline>,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    created_at: Timestamp,
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    updated_at: Timestamp,
}

impl From<Project> for ProjectView {
    fn from(project: Project) -> Self {
        Self {
            id: project.id,
            user_id: project.user_id,
            name: project.name,
            description: project.description,
            status: project.status.as_str(),
            budget: project.budget,
            deadline: project.deadline,
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

/// A budget as a JSON number. The float's shortest form is the stored
/// amount (`1234.5` for 1234.50): exact for every budget in range.
fn serialize_budget<S: Serializer>(
    budget: &Option<Budget>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match budget {
        Some(budget) => serializer.serialize_f64(budget.as_f64()),
        None => serializer.serialize_none(),
    }
}

/// `{"project"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectEnvelope {
    /// The project.
    pub project: ProjectView,
}

impl From<Project> for ProjectEnvelope {
    fn from(project: Project) -> Self {
        Self {
            project: project.into(),
        }
    }
}
