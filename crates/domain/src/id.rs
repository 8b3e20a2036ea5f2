//! Identifiers. All are UUIDv7: time-ordered, so new rows land at the end
//! of a B-tree index instead of at random places.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) identifier.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            /// Parses the textual form of a UUID (hyphenated, simple, braced or URN).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

identifier! {
    /// Identifies a [`User`](crate::User).
    UserId
}

identifier! {
    /// Identifies a [`Project`](crate::Project).
    ProjectId
}

identifier! {
    /// Identifies an [`Attachment`](crate::Attachment).
    AttachmentId
}

identifier! {
    /// Identifies a [`Session`](crate::Session): a login, and the refresh
    /// tokens that carry it on.
    SessionId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v7_and_increase() {
        let a = ProjectId::generate();
        let b = ProjectId::generate();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn parses_and_displays_round_trip() {
        let id = UserId::generate();
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }
}
