//! Projects on the wire: the create and update bodies, and the project as
//! clients see it.
//!
//! Create and update read the same fields; `id`, `user_id` and timestamps
//! in a body are ignored. An update (PUT and PATCH alike) changes only the
//! fields it names: `null` clears `description`, `budget` or `deadline`.
//! `budget` is a JSON number (a string is refused) or, in a form, its text;
//! either way it is read exactly from its decimal digits, never through a
//! float.

use super::timestamp;
use crate::body::{Fields, FromFields, Kind};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use time::Date;
use trellis_domain::{
    Budget, Deadline, Description, NewProject, Project, ProjectId, ProjectName, ProjectPatch,
    ProjectStatus, Timestamp, UserId, Violation,
};
use utoipa::ToSchema;

/// `POST /api/projects`: `name` required; `description`, `status`
/// (default active), `budget`, `deadline` optional.
impl FromFields for NewProject {
    const ACCEPTS_FORM: bool = true;

    fn from_fields(mut fields: Fields, today: Date) -> Result<Self, Vec<Violation>> {
        let name = fields.required("name", Kind::Text, ProjectName::parse);
        let description = fields.optional("description", Kind::Text, Description::parse);
        let status = fields.present("status", Kind::Text, str::parse::<ProjectStatus>);
        let budget = fields.optional("budget", Kind::Decimal, budget);
        let deadline = fields.optional("deadline", Kind::Text, |raw| Deadline::parse(raw, today));
        let project = name.map(|name| NewProject {
            description,
            status: status.unwrap_or_default(),
            budget,
            deadline,
            ..NewProject::named(name)
        });
        fields.finish(project)
    }
}

/// `PUT` / `PATCH /api/projects/{id}`: at least one field.
impl FromFields for ProjectPatch {
    const ACCEPTS_FORM: bool = true;

    fn from_fields(mut fields: Fields, today: Date) -> Result<Self, Vec<Violation>> {
        let patch = ProjectPatch {
            name: fields.present("name", Kind::Text, ProjectName::parse),
            description: fields.change("description", Kind::Text, Description::parse),
            status: fields.present("status", Kind::Text, str::parse::<ProjectStatus>),
            budget: fields.change("budget", Kind::Decimal, budget),
            deadline: fields.change("deadline", Kind::Text, |raw| Deadline::parse(raw, today)),
        };
        if !fields.has_failed()
            && let Err(violation) = patch.require_change()
        {
            fields.violate(violation.field, violation.message);
        }
        fields.finish(Some(patch))
    }
}

/// Reads a budget from the digits of a JSON number or a form value.
fn budget(raw: &str) -> Result<Budget, &'static str> {
    Budget::parse(&plain_decimal(raw))
}

/// Writes a number in exponent notation (`1.5e3`, valid JSON) as a plain
/// decimal (`1500`), moving the point instead of computing, so that it
/// stays exact. Anything else comes back as it was. Exponents are clamped
/// to ±400, far past any budget, so that `1e999999` costs nothing.
fn plain_decimal(raw: &str) -> Cow<'_, str> {
    let raw = raw.trim();
    let Some((mantissa, exponent)) = raw.split_once(['e', 'E']) else {
        return Cow::Borrowed(raw);
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return Cow::Borrowed(raw);
    };
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return Cow::Borrowed(raw);
    }
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i64 + i64::from(exponent.clamp(-400, 400));
    Cow::Owned(match usize::try_from(point) {
        Ok(point) if point >= digits.len() => {
            format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
        }
        Ok(point) if point > 0 => format!("{sign}{}.{}", &digits[..point], &digits[point..]),
        _ => format!(
            "{sign}0.{}{digits}",
            "0".repeat(point.unsigned_abs() as usize)
        ),
    })
}

/// A project as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Project)]
pub struct ProjectView {
    #[schema(value_type = String, format = Uuid)]
    id: ProjectId,
    /// The owner.
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    #[schema(example = "Apollo")]
    name: String,
    #[schema(example = "Landing on the moon")]
    description: Option<String>,
    #[schema(schema_with = crate::openapi::schemas::project_status)]
    status: &'static str,
    #[serde(serialize_with = "serialize_budget")]
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 9999999999.99, example = 12500.5)]
    budget: Option<Budget>,
    #[schema(format = Date, example = "2027-01-31")]
    deadline: Option<String>,
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
            name: project.name.as_str().to_owned(),
            description: project.description.map(|d| d.as_str().to_owned()),
            status: project.status.as_str(),
            budget: project.budget,
            deadline: project.deadline.map(|d| d.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};
    use trellis_domain::Change;

    const TODAY: Date = date!(2026 - 11 - 24);

    fn json(body: &str) -> Fields {
        Fields::from_json(body.as_bytes()).unwrap()
    }

    fn details<T: std::fmt::Debug>(result: Result<T, Vec<Violation>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn exponents_become_plain_decimals() {
        for (raw, plain) in [
            ("12.5", "12.5"),
            ("1e3", "1000"),
            ("1.5E2", "150"),
            ("1.25e1", "12.5"),
            ("15e-1", "1.5"),
            ("1e-2", "0.01"),
            ("-2.5e+1", "-25"),
            ("0e9", "0000000000"),
            ("1e", "1e"),
            ("e5", "e5"),
        ] {
            assert_eq!(plain_decimal(raw), plain, "{raw}");
        }
        assert_eq!(budget("1e10"), Err("must be at most 9999999999.99"));
        assert_eq!(budget("1e999999"), Err("must be at most 9999999999.99"));
        assert_eq!(budget("1e-3"), Err("must have at most 2 decimal places"));
        assert_eq!(budget("0e0"), Err("must be greater than 0"));
    }

    #[test]
    fn budgets_are_exact() {
        let project = NewProject::from_fields(json(r#"{"name":"a","budget":0.30}"#), TODAY);
        assert_eq!(project.unwrap().budget.map(Budget::cents), Some(30));
        assert_eq!(
            details(NewProject::from_fields(
                json(r#"{"name":"a","budget":"12.5"}"#),
                TODAY
            )),
            ["budget: must be a number"]
        );
        let form = Fields::from_form(b"name=a&budget=1e2");
        let project = NewProject::from_fields(form, TODAY);
        assert_eq!(project.unwrap().budget.map(Budget::cents), Some(10_000));
        assert_eq!(
            details(NewProject::from_fields(
                json(r#"{"name":"a","budget":0.301}"#),
                TODAY
            )),
            ["budget: must have at most 2 decimal places"]
        );
        assert_eq!(
            details(NewProject::from_fields(
                json(r#"{"name":"a","budget":true}"#),
                TODAY
            )),
            ["budget: must be a number"]
        );
    }

    #[test]
    fn create_reports_every_field() {
        let body = r#"{"name":" ","description":5,"status":"done","budget":-1,"deadline":"2026-11-24","user_id":"x"}"#;
        assert_eq!(
            details(NewProject::from_fields(json(body), TODAY)),
            [
                "name: must not be empty",
                "description: must be a string",
                "status: must be one of: active, completed, archived",
                "budget: must be greater than 0",
                "deadline: must be after today"
            ]
        );
    }

    #[test]
    fn create_defaults_and_form_empties() {
        let form = Fields::from_form(b"name=Apollo&description=&budget=&deadline=2027-01-31");
        let project = NewProject::from_fields(form, TODAY).unwrap();
        assert_eq!(project.name.as_str(), "Apollo");
        assert_eq!(project.status, ProjectStatus::Active);
        assert_eq!((project.description, project.budget), (None, None));
        assert_eq!(
            project.deadline.map(Deadline::date),
            Some(date!(2027 - 01 - 31))
        );
    }

    #[test]
    fn patches_set_clear_keep_and_refuse_empty() {
        let patch =
            ProjectPatch::from_fields(json(r#"{"status":"completed","budget":null}"#), TODAY)
                .unwrap();
        assert_eq!(patch.status, Some(ProjectStatus::Completed));
        assert_eq!(patch.budget, Change::Clear);
        assert_eq!((patch.name, patch.description), (None, Change::Keep));
        let form = ProjectPatch::from_fields(Fields::from_form(b"deadline="), TODAY).unwrap();
        assert_eq!(form.deadline, Change::Clear);
        for empty in [r#"{}"#, r#"{"id":"x","created_at":"y"}"#] {
            assert_eq!(
                details(ProjectPatch::from_fields(json(empty), TODAY)),
                ["body: must contain at least one of: name, description, status, budget, deadline"]
            );
        }
        assert_eq!(
            details(ProjectPatch::from_fields(json(r#"{"name":null}"#), TODAY)),
            ["name: must not be null"]
        );
    }

    #[test]
    fn projects_render_budget_as_a_number_and_dates_as_text() {
        let at = datetime!(2026-11-23 10:00:00.123456 UTC);
        let project = Project {
            id: ProjectId::generate(),
            user_id: UserId::generate(),
            name: ProjectName::parse("Apollo").unwrap(),
            description: None,
            status: ProjectStatus::Archived,
            budget: Some(Budget::parse("1234.50").unwrap()),
            deadline: Some(Deadline::new(date!(2027 - 01 - 31))),
            created_at: at,
            updated_at: at,
        };
        let text = serde_json::to_string(&ProjectEnvelope::from(project.clone())).unwrap();
        assert!(text.contains(r#""budget":1234.5,"#), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["project"],
            serde_json::json!({
                "id": project.id.to_string(), "user_id": project.user_id.to_string(),
                "name": "Apollo", "description": null, "status": "archived",
                "budget": 1234.5, "deadline": "2027-01-31",
                "created_at": "2026-11-23T10:00:00.123456Z",
                "updated_at": "2026-11-23T10:00:00.123456Z"
            })
        );
        let max = Budget::from_cents(Budget::MAX_CENTS).unwrap();
        let text = serde_json::to_string(&ProjectView {
            budget: Some(max),
            ..ProjectView::from(project)
        })
        .unwrap();
        assert!(text.contains(r#""budget":9999999999.99,"#), "{text}");
    }
}
