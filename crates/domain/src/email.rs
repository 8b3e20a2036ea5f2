//! E-mail addresses, the login name of every account.

use serde::Serialize;
use std::fmt;

/// A syntactically valid e-mail address, trimmed and lower-cased, at most
/// 255 characters. Two addresses that differ only in case are the same
/// account.
///
/// ```
/// use trellis_domain::Email;
///
/// assert_eq!(Email::parse(" Grace@Navy.MIL ").unwrap().as_str(), "grace@navy.mil");
/// assert!(Email::parse("not an address").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// The longest address accepted, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Trims, lower-cases and validates `raw`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let normalized = raw.trim().to_lowercase();
        if normalized.is_empty() {
            return Err("is required");
        }
        if normalized.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 255 characters");
        }
        garde::rules::email::parse_email(&normalized)
            .map_err(|_| "must be a valid email address")?;
        Ok(Self(normalized))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(Email::parse("\tA@B.Co\n").unwrap().as_str(), "a@b.co");
    }

    #[test]
    fn rejects_garbage_empty_and_long() {
        assert_eq!(Email::parse("   "), Err("is required"));
        assert_eq!(Email::parse("a@"), Err("must be a valid email address"));
        assert_eq!(Email::parse("@b.co"), Err("must be a valid email address"));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err("must be at most 255 characters"));
    }
}
