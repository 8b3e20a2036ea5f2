//! Project bodies read into drafts, finished as the service finishes them,
//! and projects rendered.

use super::fields::{budget, plain_decimal};
use super::*;
use time::{
    Date,
    macros::{date, datetime},
};
use trellis_domain::{Change, Deadline, NewProject, ProjectName, ProjectStatus};

const TODAY: Date = date!(2026 - 11 - 24);

fn json(body: &str) -> Fields {
    Fields::from_json(body.as_bytes()).unwrap()
}

/// A create body, finished against [`TODAY`].
fn create(fields: Fields) -> Result<NewProject, Vec<Violation>> {
    NewProjectBody::from_fields(fields)?
        .0
        .into_new_project(TODAY)
}

/// An update body, finished against [`TODAY`].
fn update(fields: Fields) -> Result<ProjectPatch, Vec<Violation>> {
    ProjectUpdateBody::from_fields(fields)?.0.into_patch(TODAY)
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
    let project = create(json(r#"{"name":"a","budget":0.30}"#));
    assert_eq!(project.unwrap().budget.map(Budget::cents), Some(30));
    assert_eq!(
        details(create(json(r#"{"name":"a","budget":"12.5"}"#))),
        ["budget: must be a number"]
    );
    let form = Fields::from_form(b"name=a&budget=1e2");
    let project = create(form);
    assert_eq!(project.unwrap().budget.map(Budget::cents), Some(10_000));
    assert_eq!(
        details(create(json(r#"{"name":"a","budget":0.301}"#))),
        ["budget: must have at most 2 decimal places"]
    );
    assert_eq!(
        details(create(json(r#"{"name":"a","budget":true}"#))),
        ["budget: must be a number"]
    );
}

#[test]
fn create_reports_every_field() {
    let body = r#"{"name":" ","description":5,"status":"done","budget":-1,"deadline":"2026-11-24","user_id":"x"}"#;
    assert_eq!(
        details(create(json(body))),
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
    let project = create(form).unwrap();
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
    let patch = update(json(r#"{"status":"completed","budget":null}"#)).unwrap();
    assert_eq!(patch.status, Some(ProjectStatus::Completed));
    assert_eq!(patch.budget, Change::Clear);
    assert_eq!((patch.name, patch.description), (None, Change::Keep));
    let form = update(Fields::from_form(b"deadline=")).unwrap();
    assert_eq!(form.deadline, Change::Clear);
    for empty in [r#"{}"#, r#"{"id":"x","created_at":"y"}"#] {
        assert_eq!(
            details(update(json(empty))),
            ["body: must contain at least one of: name, description, status, budget, deadline"]
        );
    }
    assert_eq!(
        details(update(json(r#"{"name":null}"#))),
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
