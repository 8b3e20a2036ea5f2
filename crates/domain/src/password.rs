//! Passwords in the clear (only on their way to the hasher) and their hashes.

use std::fmt;

/// A password as typed by its owner: 8 to 128 characters.
///
/// Its `Debug` form is redacted, so it cannot reach a log by accident.
///
/// ```
/// use trellis_domain::Password;
///
/// let password = Password::parse("correct horse").unwrap();
/// assert_eq!(format!("{password:?}"), "Password(<redacted>)");
/// assert!(Password::parse("short").is_err());
/// ```
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Fewest characters a new password may have.
    pub const MIN_CHARS: usize = 8;
    /// Most characters a password may have.
    pub const MAX_CHARS: usize = 128;

    /// Accepts a new password of 8 to 128 characters (not trimmed: spaces
    /// are part of a password).
    ///
    /// bcrypt reads at most 72 bytes; like the service Trellis replaces, a
    /// longer password is accepted and its first 72 bytes decide, so hashes
    /// carried over from it keep verifying.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.chars().count() {
            0 => Err("is required"),
            n if n < Self::MIN_CHARS => Err("must be at least 8 characters"),
            n if n > Self::MAX_CHARS => Err("must be at most 128 characters"),
            _ => Ok(Self(raw.to_owned())),
        }
    }

    /// Accepts any non-empty attempt at logging in: the rules for new
    /// passwords may have changed since the account was made.
    pub fn attempt(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() {
            Err("is required")
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash (bcrypt, modular crypt format).
///
/// Redacted in `Debug`; it leaves the storage adapter only to be verified.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from storage or produced by the hasher.
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    /// The hash text, for storage and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(Password::parse("ééééééé").is_err());
        assert!(Password::parse("éééééééé").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
    }

    #[test]
    fn login_attempt_only_needs_something() {
        assert!(Password::attempt("").is_err());
        assert!(Password::attempt("x").is_ok());
    }

    #[test]
    fn hash_is_redacted() {
        let hash = PasswordHash::new("$2b$12$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
