//! The order of a listing, and positions in it.

use crate::{Project, ProjectId, Timestamp};
use std::{cmp::Ordering, fmt};
use time::Date;

/// What a listing is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// When the project was created.
    CreatedAt,
    /// When it last changed.
    UpdatedAt,
    /// Its name, case-insensitively.
    Name,
    /// Its deadline; projects without one come last.
    Deadline,
    /// Its budget; projects without one come last.
    Budget,
}

impl SortKey {
    /// Every key, in documented order.
    pub const ALL: [SortKey; 5] = [
        Self::CreatedAt,
        Self::UpdatedAt,
        Self::Name,
        Self::Deadline,
        Self::Budget,
    ];

    /// The wire name (`created_at`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name",
            Self::Deadline => "deadline",
            Self::Budget => "budget",
        }
    }

    /// Whether some projects have no value for it (they sort last).
    pub fn is_nullable(self) -> bool {
        matches!(self, Self::Deadline | Self::Budget)
    }

    /// `project`'s value for this key (`None`: it has none).
    pub fn value_of(self, project: &Project) -> Option<SortValue> {
        match self {
            Self::CreatedAt => Some(SortValue::Time(project.created_at)),
            Self::UpdatedAt => Some(SortValue::Time(project.updated_at)),
            Self::Name => Some(SortValue::Name(project.name.as_str().to_owned())),
            Self::Deadline => project.deadline.map(|d| SortValue::Date(d.date())),
            Self::Budget => project.budget.map(|b| SortValue::Cents(b.cents())),
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first (a leading `-` on the wire).
    Descending,
}

/// A listing's order: a key and a direction, ties broken by `id` in the
/// same direction, projects without a value last either way.
///
/// ```
/// use trellis_domain::{Direction, ProjectSort, SortKey};
///
/// let sort = ProjectSort::parse("-deadline").unwrap();
/// assert_eq!((sort.key, sort.direction), (SortKey::Deadline, Direction::Descending));
/// assert_eq!(ProjectSort::default().to_string(), "-created_at");
/// assert!(ProjectSort::parse("+name").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectSort {
    /// What it orders by.
    pub key: SortKey,
    /// Which way.
    pub direction: Direction,
}

impl Default for ProjectSort {
    /// Newest first.
    fn default() -> Self {
        Self {
            key: SortKey::CreatedAt,
            direction: Direction::Descending,
        }
    }
}

impl ProjectSort {
    /// Every sort: each key, ascending then descending.
    pub fn all() -> impl Iterator<Item = ProjectSort> {
        SortKey::ALL.into_iter().flat_map(|key| {
            [Direction::Ascending, Direction::Descending]
                .map(|direction| ProjectSort { key, direction })
        })
    }

    /// Parses `name`, `-name`, ... (see [`SortKey`]).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let (direction, name) = match raw.strip_prefix('-') {
            Some(name) => (Direction::Descending, name),
            None => (Direction::Ascending, raw),
        };
        SortKey::ALL
            .into_iter()
            .find(|key| key.as_str() == name)
            .map(|key| Self { key, direction })
            .ok_or(
                "must be one of: created_at, updated_at, name, deadline, budget, \
                 each optionally with a leading - for descending order",
            )
    }

    /// Where `project` stands in this order.
    pub fn position_of(self, project: &Project) -> Position {
        Position {
            value: self.key.value_of(project),
            id: project.id,
        }
    }

    /// How two positions compare in this order (`Less`: `a` comes first).
    pub fn compare(self, a: &Position, b: &Position) -> Ordering {
        let directed = |ordering: Ordering| match self.direction {
            Direction::Ascending => ordering,
            Direction::Descending => ordering.reverse(),
        };
        let values = match (&a.value, &b.value) {
            (Some(x), Some(y)) => directed(x.order(y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        values.then_with(|| directed(a.id.cmp(&b.id)))
    }

    /// Whether `project` comes after `position` in this order.
    pub fn is_after(self, project: &Project, position: &Position) -> bool {
        self.compare(&self.position_of(project), position) == Ordering::Greater
    }
}

impl fmt::Display for ProjectSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.direction == Direction::Descending {
            f.write_str("-")?;
        }
        f.write_str(self.key.as_str())
    }
}

/// A project's value for a [`SortKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    /// `created_at` or `updated_at`.
    Time(Timestamp),
    /// The name as stored; it compares case-insensitively.
    Name(String),
    /// The deadline.
    Date(Date),
    /// The budget, in cents.
    Cents(i64),
}

impl SortValue {
    /// The order of two values of one key (names ignoring case).
    pub fn order(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Time(a), Self::Time(b)) => a.cmp(b),
            (Self::Name(a), Self::Name(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
            (Self::Date(a), Self::Date(b)) => a.cmp(b),
            (Self::Cents(a), Self::Cents(b)) => a.cmp(b),
            // Values of one key are always of one kind; order kinds anyway.
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Time(_) => 0,
            Self::Name(_) => 1,
            Self::Date(_) => 2,
            Self::Cents(_) => 3,
        }
    }
}

/// Where a listing stopped: the last item's sort value (`None` when it had
/// none) and id. A keyset page continues with what comes after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// The last item's value for the sort key.
    pub value: Option<SortValue>,
    /// The last item's id (the tie-break).
    pub id: ProjectId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: Option<i64>, id: u128) -> Position {
        Position {
            value: value.map(SortValue::Cents),
            id: ProjectId::from(uuid::Uuid::from_u128(id)),
        }
    }

    #[test]
    fn every_sort_parses_from_its_name() {
        for sort in ProjectSort::all() {
            assert_eq!(ProjectSort::parse(&sort.to_string()), Ok(sort));
        }
        assert_eq!(ProjectSort::all().count(), 10);
        for bad in ["", "-", "--name", "Name", "id", "name "] {
            assert!(ProjectSort::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nulls_come_last_both_ways_and_ids_break_ties_in_the_same_direction() {
        for (direction, expected) in [
            (
                Direction::Ascending,
                [
                    at(Some(1), 1),
                    at(Some(1), 2),
                    at(Some(2), 0),
                    at(None, 1),
                    at(None, 2),
                ],
            ),
            (
                Direction::Descending,
                [
                    at(Some(2), 0),
                    at(Some(1), 2),
                    at(Some(1), 1),
                    at(None, 2),
                    at(None, 1),
                ],
            ),
        ] {
            let sort = ProjectSort {
                key: SortKey::Budget,
                direction,
            };
            let mut shuffled = vec![
                at(None, 2),
                at(Some(1), 1),
                at(None, 1),
                at(Some(2), 0),
                at(Some(1), 2),
            ];
            shuffled.sort_by(|a, b| sort.compare(a, b));
            assert_eq!(shuffled, expected, "{direction:?}");
        }
    }

    #[test]
    fn names_compare_ignoring_case() {
        let name = |s: &str| SortValue::Name(s.to_owned());
        assert_eq!(name("apple").order(&name("Banana")), Ordering::Less);
        assert_eq!(name("ABC").order(&name("abc")), Ordering::Equal);
    }
}
