//! Sessions: a login, kept alive by rotating refresh tokens until it
//! expires or is ended.

use crate::{SessionId, Timestamp, UserId};
use std::{fmt, net::IpAddr};

/// A login and what is known of the client that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its identifier (the `sid` of its access tokens).
    pub id: SessionId,
    /// Whose it is.
    pub user_id: UserId,
    /// When the login happened.
    pub created_at: Timestamp,
    /// When a refresh token of it was last used (the login, at first).
    pub last_used_at: Timestamp,
    /// When it ends by itself: no refresh after this.
    pub expires_at: Timestamp,
    /// When it was ended (logout, password change, theft), if it was.
    pub revoked_at: Option<Timestamp>,
    /// The client as it introduced itself (at most 255 characters).
    pub user_agent: Option<UserAgent>,
    /// The client's address, as the server saw it.
    pub ip: Option<IpAddr>,
}

impl Session {
    /// Whether it can still be refreshed at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A client's `User-Agent`, cut to 255 characters and stripped of control
/// characters, for showing in a list of sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent(String);

impl UserAgent {
    /// Most characters kept.
    pub const MAX_CHARS: usize = 255;

    /// The header's text, cleaned; `None` if nothing is left.
    pub fn from_header(raw: &str) -> Option<Self> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_control())
            .take(Self::MAX_CHARS)
            .collect();
        let cleaned = cleaned.trim();
        (!cleaned.is_empty()).then(|| Self(cleaned.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a login or a refresh came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its `User-Agent`.
    pub user_agent: Option<UserAgent>,
    /// Its address.
    pub ip: Option<IpAddr>,
}

/// A refresh token as its bearer holds it: an opaque string of 256 random
/// (or, for a successor, HMAC-derived) bits. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// Wraps a token's text (as minted, or as presented by a client).
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// Accepts what a client presents: 1 to 512 visible ASCII characters
    /// (a server-made token is 43); anything else cannot be one.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() {
            return Err("is required");
        }
        if raw.len() > 512 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("is not a refresh token");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text, for the answer to its client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

/// A SHA-256 of a refresh token: all storage ever holds of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cleaned_and_cut() {
        assert_eq!(
            UserAgent::from_header(" curl/8.0\u{7}\n ")
                .unwrap()
                .as_str(),
            "curl/8.0"
        );
        assert_eq!(UserAgent::from_header("\u{1}\u{2}"), None);
        let long = "a".repeat(1000);
        assert_eq!(UserAgent::from_header(&long).unwrap().as_str().len(), 255);
    }

    #[test]
    fn refresh_tokens_are_visible_ascii_and_hidden_from_debug() {
        assert!(RefreshToken::parse("").is_err());
        assert!(RefreshToken::parse("has space").is_err());
        assert!(RefreshToken::parse(&"x".repeat(513)).is_err());
        let token = RefreshToken::parse("abc-DEF_123").unwrap();
        assert_eq!(format!("{token:?}"), "RefreshToken(<redacted>)");
    }
}
