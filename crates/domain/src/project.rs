//! Projects: what a user keeps track of, and the rules on each field.

mod budget;
mod deadline;

pub use budget::Budget;
pub use deadline::Deadline;

use crate::{ProjectId, Timestamp, UserId, Violation};
use serde::Serialize;
use std::{fmt, str::FromStr};

/// A project's name: trimmed, 1 to 200 characters. Serializes as its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectName(String);

impl ProjectName {
    /// Most characters a name may have.
    pub const MAX_CHARS: usize = 200;

    /// Trims and checks the length of `raw`.
    ///
    /// ```
    /// use trellis_domain::ProjectName;
    ///
    /// assert_eq!(ProjectName::parse(" Apollo ").unwrap().as_str(), "Apollo");
    /// assert_eq!(ProjectName::parse(""), Err("must not be empty"));
    /// ```
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 => Err("must not be empty"),
            n if n > Self::MAX_CHARS => Err("must be at most 200 characters"),
            _ => Ok(Self(trimmed.to_owned())),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text about a project: trimmed, at most 5000 characters, may be
/// empty. Serializes as its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Description(String);

impl Description {
    /// Most characters a description may have.
    pub const MAX_CHARS: usize = 5000;

    /// Trims and checks the length of `raw`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            Err("must be at most 5000 characters")
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a project stands. New projects are [`ProjectStatus::Active`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProjectStatus {
    /// Being worked on.
    #[default]
    Active,
    /// Done.
    Completed,
    /// Put away.
    Archived,
}

impl ProjectStatus {
    /// Every status, in the order clients see them documented.
    pub const ALL: [ProjectStatus; 3] = [Self::Active, Self::Completed, Self::Archived];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Archived => "archived",
        }
    }
}

impl FromStr for ProjectStatus {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or("must be one of: active, completed, archived")
    }
}

impl fmt::Display for ProjectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored project. It belongs to exactly one user, its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Its identifier.
    pub id: ProjectId,
    /// The owner; nobody else ever sees it.
    pub user_id: UserId,
    /// Its name.
    pub name: ProjectName,
    /// Optional free text.
    pub description: Option<Description>,
    /// Where it stands.
    pub status: ProjectStatus,
    /// Optional money set aside.
    pub budget: Option<Budget>,
    /// Optional due date.
    pub deadline: Option<Deadline>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Project {
    /// Applies the fields that `patch` touches. Storage adapters that do not
    /// patch in place (the in-memory one) use this, so the semantics live in
    /// one spot; `updated_at` is the adapter's to set.
    pub fn apply(&mut self, patch: &ProjectPatch) {
        if let Some(name) = &patch.name {
            self.name = name.clone();
        }
        if let Some(status) = patch.status {
            self.status = status;
        }
        patch.description.apply_to(&mut self.description);
        patch.budget.apply_to(&mut self.budget);
        patch.deadline.apply_to(&mut self.deadline);
    }
}

/// A project about to be created: every field already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// Chosen by the domain (UUIDv7), not by storage.
    pub id: ProjectId,
    /// Its name.
    pub name: ProjectName,
    /// Optional free text.
    pub description: Option<Description>,
    /// Where it starts; [`ProjectStatus::Active`] unless the client said otherwise.
    pub status: ProjectStatus,
    /// Optional money set aside.
    pub budget: Option<Budget>,
    /// Optional due date.
    pub deadline: Option<Deadline>,
}

impl NewProject {
    /// An active project with only a name.
    pub fn named(name: ProjectName) -> Self {
        Self {
            id: ProjectId::generate(),
            name,
            description: None,
            status: ProjectStatus::default(),
            budget: None,
            deadline: None,
        }
    }
}

/// What happens to an optional field in a partial update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// The field was absent: leave it as it is.
    #[default]
    Keep,
    /// Replace it with this value.
    Set(T),
    /// The field was `null`: clear it.
    Clear,
}

impl<T: Clone> Change<T> {
    /// Applies the change to `field`.
    pub fn apply_to(&self, field: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Set(value) => *field = Some(value.clone()),
            Change::Clear => *field = None,
        }
    }
}

impl<T> Change<T> {
    /// Whether this leaves the field alone.
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }

    /// The value it sets, if any (for a new resource, keeping and clearing
    /// both mean "none").
    pub fn into_value(self) -> Option<T> {
        match self {
            Change::Set(value) => Some(value),
            Change::Keep | Change::Clear => None,
        }
    }
}

/// A partial update of a project (`PUT` and `PATCH` alike): only the fields
/// present change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectPatch {
    /// A new name (a name cannot be cleared).
    pub name: Option<ProjectName>,
    /// Set or clear the description.
    pub description: Change<Description>,
    /// A new status (cannot be cleared).
    pub status: Option<ProjectStatus>,
    /// Set or clear the budget.
    pub budget: Change<Budget>,
    /// Set or clear the deadline.
    pub deadline: Change<Deadline>,
}

impl ProjectPatch {
    /// Whether the patch changes nothing (an update must change something).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.status.is_none()
            && self.description.is_keep()
            && self.budget.is_keep()
            && self.deadline.is_keep()
    }

    /// `Err` with the violation of the rule "an update must change
    /// something", reported against the body as a whole.
    pub fn require_change(&self) -> Result<(), Violation> {
        if self.is_empty() {
            Err(Violation::new(
                "body",
                "must contain at least one of: name, description, status, budget, deadline",
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_only_known_names() {
        for status in ProjectStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("ACTIVE".parse::<ProjectStatus>().is_err());
        assert!("done".parse::<ProjectStatus>().is_err());
    }

    #[test]
    fn name_and_description_limits_count_characters() {
        assert!(ProjectName::parse(&"ж".repeat(200)).is_ok());
        assert!(ProjectName::parse(&"ж".repeat(201)).is_err());
        assert!(Description::parse("").is_ok());
        assert!(Description::parse(&"ж".repeat(5000)).is_ok());
        assert!(Description::parse(&"ж".repeat(5001)).is_err());
    }

    #[test]
    fn patch_sets_clears_and_keeps() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut project = Project {
            id: ProjectId::generate(),
            user_id: UserId::generate(),
            name: ProjectName::parse("a").unwrap(),
            description: Some(Description::parse("d").unwrap()),
            status: ProjectStatus::Active,
            budget: Some(Budget::parse("10").unwrap()),
            deadline: None,
            created_at: now,
            updated_at: now,
        };
        let patch = ProjectPatch {
            status: Some(ProjectStatus::Completed),
            budget: Change::Clear,
            ..ProjectPatch::default()
        };
        assert!(!patch.is_empty());
        project.apply(&patch);
        assert_eq!(project.status, ProjectStatus::Completed);
        assert_eq!(project.budget, None);
        assert_eq!(project.name.as_str(), "a");
        assert!(project.description.is_some());
        assert!(ProjectPatch::default().is_empty());
    }
}
