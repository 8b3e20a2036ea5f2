//! Input as an inbound adapter read it, not yet held to every rule.

use crate::{Change, NewProject, ProfilePatch, ProjectPatch, ProjectStatus, Violation, Violations};
use time::Date;

/// A client's input, read field by field by an inbound adapter: the fields
/// that parsed, and every violation found on the way.
///
/// The rules that need more than one field, or today's date, are checked
/// when the service finishes the draft, and their violations join those of
/// the fields: one answer lists everything that is wrong.
///
/// ```
/// use time::macros::date;
/// use trellis_domain::{Change, Deadline, Draft, ProjectPatch, Violation};
///
/// let fields = ProjectPatch {
///     deadline: Change::Set(Deadline::parse("2020-01-01").unwrap()),
///     ..ProjectPatch::default()
/// };
/// let draft = Draft::new(fields, vec![Violation::new("name", "must not be empty")].into());
/// let details: Vec<String> = draft
///     .into_new_project(date!(2026 - 11 - 24))
///     .unwrap_err()
///     .iter()
///     .map(ToString::to_string)
///     .collect();
/// assert_eq!(details, ["name: must not be empty", "deadline: must be after today"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft<T> {
    /// The fields that parsed; a field that failed is left out.
    pub fields: T,
    /// What failed, in the order the fields were read.
    pub violations: Violations,
}

impl<T> Draft<T> {
    /// `fields`, read with these `violations`.
    pub fn new(fields: T, violations: Violations) -> Self {
        Self { fields, violations }
    }

    /// Input that is valid field by field.
    pub fn valid(fields: T) -> Self {
        Self::new(fields, Violations::default())
    }
}

impl Draft<ProjectPatch> {
    /// A new project from its fields: `name` must be there (if an adapter
    /// found it missing or invalid, it already said why), and a deadline
    /// must be after `today`.
    pub fn into_new_project(self, today: Date) -> Result<NewProject, Vec<Violation>> {
        let Self {
            fields,
            violations: mut report,
        } = self;
        if let Change::Set(deadline) = fields.deadline {
            report.check("deadline", deadline.check_after(today));
        }
        let Some(name) = fields.name else {
            if !report.mentions("name") {
                report.push("name", "is required");
            }
            return Err(report.into_vec());
        };
        report.into_result(NewProject {
            description: fields.description.into_value(),
            status: fields.status.unwrap_or(ProjectStatus::Active),
            budget: fields.budget.into_value(),
            deadline: fields.deadline.into_value(),
            ..NewProject::named(name)
        })
    }

    /// The update: a deadline it sets must be after `today`, and it must
    /// change something.
    pub fn into_patch(self, today: Date) -> Result<ProjectPatch, Vec<Violation>> {
        let Self {
            fields: patch,
            violations: mut report,
        } = self;
        if let Change::Set(deadline) = patch.deadline {
            report.check("deadline", deadline.check_after(today));
        }
        if report.is_empty()
            && let Err(violation) = patch.require_change()
        {
            report.push(violation.field, violation.message);
        }
        report.into_result(patch)
    }
}

impl Draft<ProfilePatch> {
    /// The update: it must change something.
    pub fn into_patch(self) -> Result<ProfilePatch, Vec<Violation>> {
        let Self {
            fields: patch,
            violations: mut report,
        } = self;
        if report.is_empty()
            && let Err(violation) = patch.require_change()
        {
            report.push(violation.field, violation.message);
        }
        report.into_result(patch)
    }
}

impl<T> From<T> for Draft<T> {
    fn from(fields: T) -> Self {
        Self::valid(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Budget, Deadline, ProjectName};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    fn details<T: std::fmt::Debug>(result: Result<T, Vec<Violation>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_new_project_needs_a_name_and_a_future_deadline() {
        let fields = ProjectPatch {
            name: Some(ProjectName::parse("Apollo").unwrap()),
            budget: Change::Set(Budget::parse("12.50").unwrap()),
            deadline: Change::Set(Deadline::parse("2026-11-25").unwrap()),
            ..ProjectPatch::default()
        };
        let project = Draft::valid(fields.clone())
            .into_new_project(TODAY)
            .unwrap();
        assert_eq!(project.status, ProjectStatus::Active);
        assert_eq!(project.budget.map(Budget::cents), Some(1250));
        let nameless = ProjectPatch {
            name: None,
            deadline: Change::Set(Deadline::parse("2026-11-24").unwrap()),
            ..fields
        };
        assert_eq!(
            details(Draft::valid(nameless).into_new_project(TODAY)),
            ["deadline: must be after today", "name: is required"]
        );
    }

    #[test]
    fn a_patch_must_change_something_unless_a_field_already_failed() {
        assert_eq!(
            details(Draft::valid(ProjectPatch::default()).into_patch(TODAY)),
            ["body: must contain at least one of: name, description, status, budget, deadline"]
        );
        let failed = Draft::new(
            ProjectPatch::default(),
            vec![Violation::new("name", "must be a string")].into(),
        );
        assert_eq!(
            details(failed.into_patch(TODAY)),
            ["name: must be a string"]
        );
        assert_eq!(
            details(Draft::valid(ProfilePatch::default()).into_patch()),
            ["body: must contain at least one of: full_name, email"]
        );
    }
}
