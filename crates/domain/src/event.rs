//! Events: what happened to a user's projects, in the order it was
//! committed, for the clients that follow it live.

use crate::{Project, ProjectId, Timestamp, UserId};
use std::{fmt, str::FromStr};

/// Identifies an [`Event`]. Ids order the events of one owner as they were
/// committed: a later event of the same owner always has a greater id (ids
/// of different owners interleave in no promised order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EventId(i64);

impl EventId {
    /// Before every event: resuming "after" it replays everything kept.
    pub const ZERO: Self = Self(0);

    /// The id numbered `n`; `None` if negative.
    ///
    /// ```
    /// use trellis_domain::EventId;
    ///
    /// assert_eq!(EventId::new(42).unwrap().get(), 42);
    /// assert!(EventId::new(-1).is_none());
    /// ```
    pub fn new(n: i64) -> Option<Self> {
        (n >= 0).then_some(Self(n))
    }

    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for EventId {
    type Err = &'static str;

    /// Parses the decimal form clients are given (`"42"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<i64>()
            .ok()
            .and_then(Self::new)
            .ok_or("must be an event id")
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What happened to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// It was created.
    Created,
    /// Some of its fields changed.
    Updated,
    /// It was deleted.
    Deleted,
}

impl EventKind {
    /// The name clients see: `project.created`, `project.updated`,
    /// `project.deleted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "project.created",
            Self::Updated => "project.updated",
            Self::Deleted => "project.deleted",
        }
    }
}

impl FromStr for EventKind {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "project.created" => Ok(Self::Created),
            "project.updated" => Ok(Self::Updated),
            "project.deleted" => Ok(Self::Deleted),
            _ => Err("must be an event type"),
        }
    }
}

/// A committed change to one of a user's projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its place in its owner's order.
    pub id: EventId,
    /// Whose project it is.
    pub owner: UserId,
    /// What happened.
    pub kind: EventKind,
    /// Which project.
    pub project_id: ProjectId,
    /// The project as the change left it; `None` when it was deleted.
    pub project: Option<Project>,
    /// When it happened.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_from_their_decimal_form_only() {
        assert_eq!("7".parse::<EventId>(), Ok(EventId(7)));
        assert_eq!("0".parse::<EventId>(), Ok(EventId::ZERO));
        for bad in ["", "-1", "x", "1.5", "99999999999999999999"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [EventKind::Created, EventKind::Updated, EventKind::Deleted] {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
    }
}
