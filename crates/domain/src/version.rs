//! Versions of a resource, for conditional requests.

use crate::{Project, Timestamp, User};
use std::fmt;
use uuid::Uuid;

/// One version of one resource: its id and when it last changed. Every
/// write moves `updated_at`, so two versions are equal exactly when nothing
/// changed in between. Its text form is the opaque value of a strong
/// entity tag.
///
/// ```
/// use trellis_domain::Version;
///
/// let version = Version::new(uuid::Uuid::nil(), time::OffsetDateTime::UNIX_EPOCH);
/// assert_eq!(Version::parse(&version.to_string()), Some(version));
/// assert_eq!(Version::parse("nope"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// The resource's id.
    pub id: Uuid,
    /// When it last changed.
    pub changed: Timestamp,
}

impl Version {
    /// The version of resource `id` as of `changed`.
    pub fn new(id: Uuid, changed: Timestamp) -> Self {
        Self { id, changed }
    }

    /// Reads the text form (`<id as 32 hex digits>-<unix nanoseconds>`).
    pub fn parse(raw: &str) -> Option<Self> {
        let (id, nanos) = raw.split_once('-')?;
        if id.len() != 32 || nanos.is_empty() || !nanos.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        let changed = Timestamp::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
        Some(Self { id, changed })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.id.simple(),
            self.changed.unix_timestamp_nanos()
        )
    }
}

impl Project {
    /// This project's current version.
    pub fn version(&self) -> Version {
        Version::new(self.id.as_uuid(), self.updated_at)
    }
}

impl User {
    /// This account's current version.
    pub fn version(&self) -> Version {
        Version::new(self.id.as_uuid(), self.updated_at)
    }
}

/// A write's precondition (`If-Match`): unconditional, or only if the
/// resource's current version is one of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// No condition, or `*` (the resource must merely exist, which every
    /// write requires anyway).
    #[default]
    None,
    /// Only if the current version is one of these (an empty list never
    /// matches).
    OneOf(Vec<Version>),
}

impl Precondition {
    /// The `updated_at` values of resource `id` that satisfy it: `None`
    /// when any will do. Versions of another resource never match.
    pub fn changed_of(&self, id: Uuid) -> Option<Vec<Timestamp>> {
        match self {
            Self::None => None,
            Self::OneOf(versions) => Some(
                versions
                    .iter()
                    .filter(|version| version.id == id)
                    .map(|version| version.changed)
                    .collect(),
            ),
        }
    }
}
