//! Idempotent requests: a client's key that makes a retried create answer
//! what the first one did instead of creating again.

use std::fmt;

/// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters
/// (`!` to `~`), compared exactly.
///
/// ```
/// use trellis_domain::IdempotencyKey;
///
/// assert_eq!(IdempotencyKey::parse("order-42").unwrap().as_str(), "order-42");
/// assert!(IdempotencyKey::parse("").is_err());
/// assert!(IdempotencyKey::parse("with space").is_err());
/// assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a text is not an [`IdempotencyKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidIdempotencyKey;

impl fmt::Display for InvalidIdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be 1 to 255 visible ASCII characters")
    }
}

impl IdempotencyKey {
    /// Most characters in a key.
    pub const MAX_CHARS: usize = 255;

    /// The key `raw`, exactly as sent (no trimming: a key is opaque).
    pub fn parse(raw: &str) -> Result<Self, InvalidIdempotencyKey> {
        let visible = raw.bytes().all(|b| b.is_ascii_graphic());
        if raw.is_empty() || raw.len() > Self::MAX_CHARS || !visible {
            return Err(InvalidIdempotencyKey);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of what a request asks (its fields, not their spelling): the
/// same key sent again with another fingerprint is another request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    /// A fingerprint from its 32 digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RequestFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestFingerprint(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_str(")")
    }
}
