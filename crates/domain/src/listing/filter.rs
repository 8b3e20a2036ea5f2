//! Which projects a listing shows.

use crate::{Project, ProjectStatus};
use std::fmt;

/// One or more project statuses (`active,completed`); all of them unless a
/// client narrows it.
///
/// ```
/// use trellis_domain::{ProjectStatus, StatusSet};
///
/// let set = StatusSet::parse("completed,active").unwrap();
/// assert!(set.contains(ProjectStatus::Active) && !set.contains(ProjectStatus::Archived));
/// assert_eq!(set.to_string(), "active,completed");
/// assert!(StatusSet::parse("active,,done").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusSet(u8);

impl Default for StatusSet {
    fn default() -> Self {
        Self::ALL
    }
}

impl StatusSet {
    /// Every status: no filter.
    pub const ALL: Self = Self(0b111);

    /// Parses a comma-separated list of statuses (repetitions allowed);
    /// a bad one is refused as a single status is.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let mut bits = 0;
        for name in raw.split(',') {
            bits |= Self::bit(name.parse()?);
        }
        Ok(Self(bits))
    }

    /// Just `status`.
    pub fn only(status: ProjectStatus) -> Self {
        Self(Self::bit(status))
    }

    /// Whether projects with `status` are shown.
    pub fn contains(self, status: ProjectStatus) -> bool {
        self.0 & Self::bit(status) != 0
    }

    /// The statuses shown, in documented order.
    pub fn iter(self) -> impl Iterator<Item = ProjectStatus> {
        ProjectStatus::ALL
            .into_iter()
            .filter(move |status| self.contains(*status))
    }

    /// The set as one byte (bit 0 active, 1 completed, 2 archived), for
    /// compact encodings such as cursors.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The set of [`Self::bits`]; `None` for an empty or unknown mask.
    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits != 0 && bits & !Self::ALL.0 == 0).then_some(Self(bits))
    }

    fn bit(status: ProjectStatus) -> u8 {
        match status {
            ProjectStatus::Active => 1,
            ProjectStatus::Completed => 2,
            ProjectStatus::Archived => 4,
        }
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, status) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(status.as_str())?;
        }
        Ok(())
    }
}

/// A search (`q`): 1 to 200 characters holding at least one term; a
/// project matches when every whitespace-separated term occurs,
/// case-insensitively, as a substring of its name or its description.
///
/// ```
/// use trellis_domain::SearchQuery;
///
/// let q = SearchQuery::parse("  moon APOLLO ").unwrap();
/// assert!(q.matches("Apollo 11", Some("To the moon")));
/// assert!(!q.matches("Apollo 11", None));
/// assert!(SearchQuery::parse("   ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery(String);

impl SearchQuery {
    /// Most characters a search may have.
    pub const MAX_CHARS: usize = 200;

    /// Checks `raw` (surrounding white space is not part of it).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if raw.chars().count() > Self::MAX_CHARS {
            Err("must be at most 200 characters")
        } else if trimmed.is_empty() {
            Err("must contain at least one search term")
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The search as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its terms, in order (never empty).
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.0.split_whitespace()
    }

    /// Whether every term occurs in `name` or `description`, ignoring case.
    pub fn matches(&self, name: &str, description: Option<&str>) -> bool {
        let name = name.to_lowercase();
        let description = description.map(str::to_lowercase).unwrap_or_default();
        self.terms().all(|term| {
            let term = term.to_lowercase();
            name.contains(&term) || description.contains(&term)
        })
    }
}

/// Which of a user's projects a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProjectFilter {
    /// Only projects with one of these statuses.
    pub statuses: StatusSet,
    /// Only projects matching this search, if any.
    pub search: Option<SearchQuery>,
}

impl ProjectFilter {
    /// Whether `project` is shown.
    pub fn matches(&self, project: &Project) -> bool {
        self.statuses.contains(project.status)
            && self.search.as_ref().is_none_or(|search| {
                search.matches(
                    project.name.as_str(),
                    project.description.as_ref().map(|d| d.as_str()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_as_a_set() {
        assert_eq!(
            StatusSet::parse("archived").unwrap(),
            StatusSet::only(ProjectStatus::Archived)
        );
        assert_eq!(
            StatusSet::parse("active,completed,archived,active").unwrap(),
            StatusSet::ALL
        );
        for bad in ["", ",", "active,", "Active", "active, completed"] {
            assert!(StatusSet::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            StatusSet::from_bits(StatusSet::ALL.bits()),
            Some(StatusSet::ALL)
        );
        assert_eq!(StatusSet::from_bits(0), None);
        assert_eq!(StatusSet::from_bits(8), None);
    }

    #[test]
    fn search_limits_and_terms() {
        assert!(SearchQuery::parse(&"a".repeat(200)).is_ok());
        assert!(SearchQuery::parse(&"a".repeat(201)).is_err());
        assert!(SearchQuery::parse("").is_err());
        let q = SearchQuery::parse("50% a_b").unwrap();
        assert_eq!(q.terms().collect::<Vec<_>>(), ["50%", "a_b"]);
        assert!(q.matches("x 50% off", Some("A_B")));
        assert!(!q.matches("x 50 off", Some("aXb")));
        // A term never spans the name and the description.
        assert!(!SearchQuery::parse("ab").unwrap().matches("a", Some("b")));
    }
}
