//! Accounts: who may log in, and with which role.

use crate::{Email, PasswordHash, Timestamp, UserId, Violation};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// What an account may do. Every new account is a [`Role::User`]; only an
/// admin (or an operator at the command line) makes another admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages their own projects.
    User,
    /// Also lists users and changes their roles.
    Admin,
}

impl Role {
    /// The wire and storage name: `"user"` or `"admin"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err("must be one of: user, admin"),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's name as they wrote it: trimmed, 1 to 100 characters.
///
/// ```
/// use trellis_domain::FullName;
///
/// assert_eq!(FullName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
/// assert!(FullName::parse(" ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FullName(String);

impl FullName {
    /// Most characters a name may have.
    pub const MAX_CHARS: usize = 100;

    /// Trims and checks the length of `raw`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 => Err("must not be empty"),
            n if n > Self::MAX_CHARS => Err("must be at most 100 characters"),
            _ => Ok(Self(trimmed.to_owned())),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account. It never carries the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its identifier.
    pub id: UserId,
    /// Its login, unique regardless of case.
    pub email: Email,
    /// The owner's name.
    pub full_name: FullName,
    /// What it may do.
    pub role: Role,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// An account about to be stored: valid fields and an already computed hash.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Chosen by the domain (UUIDv7), not by storage.
    pub id: UserId,
    /// Its login.
    pub email: Email,
    /// The owner's name.
    pub full_name: FullName,
    /// Always [`Role::User`] for a registration.
    pub role: Role,
    /// The bcrypt hash of the chosen password.
    pub password_hash: PasswordHash,
}

impl NewUser {
    /// A fresh ordinary account.
    pub fn register(email: Email, full_name: FullName, password_hash: PasswordHash) -> Self {
        Self {
            id: UserId::generate(),
            email,
            full_name,
            role: Role::User,
            password_hash,
        }
    }
}

/// Changes a user makes to their own profile; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// A new name.
    pub full_name: Option<FullName>,
    /// A new login.
    pub email: Option<Email>,
}

impl ProfilePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none() && self.email.is_none()
    }

    /// `Err` with the violation of the rule "a profile update must change
    /// something", reported against the body as a whole.
    pub fn require_change(&self) -> Result<(), Violation> {
        if self.is_empty() {
            Err(Violation::new(
                "body",
                "must contain at least one of: full_name, email",
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
    fn role_round_trips() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
    }

    #[test]
    fn full_name_counts_characters() {
        assert!(FullName::parse(&"é".repeat(100)).is_ok());
        assert!(FullName::parse(&"é".repeat(101)).is_err());
    }
}
