//! Opening sessions and minting their refresh tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::{fmt, sync::Arc, time::Duration};
use trellis_domain::{ClientInfo, RefreshToken, SessionId, TokenDigest, User};
use trellis_ports::{Clock, Grant, NewSession, ServiceError, SessionRepository};

/// How long sessions live and how forgiving a refresh is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// `REFRESH_TOKEN_TTL`: a session ends this long after its login.
    pub ttl: Duration,
    /// `REFRESH_REUSE_GRACE_SECS`: a spent token presented again within this
    /// long answers the same successor; later, the session ends.
    pub grace: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30 * 24 * 3600),
            grace: Duration::from_secs(10),
        }
    }
}

/// The key successors are derived under: an HMAC-SHA256 key derived from
/// the server's secret with a label of its own, so that it is not the
/// token-signing key itself. Redacted in `Debug`.
pub struct RefreshKey(Hmac<Sha256>);

impl fmt::Debug for RefreshKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshKey(<redacted>)")
    }
}

impl RefreshKey {
    /// The key for the server's `secret` (`JWT_SECRET`).
    pub fn derive(secret: &[u8]) -> Self {
        Self(crate::keys::derive(secret, b"trellis refresh-token key v1"))
    }

    /// The successor of `token`: the same token always has the same one,
    /// so that a replay within the grace answers it again, while nobody
    /// without the key can compute it.
    fn successor(&self, token: &RefreshToken) -> RefreshToken {
        let mut mac = self.0.clone();
        mac.update(token.expose().as_bytes());
        RefreshToken::new(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// The SHA-256 of a token: all that is stored of it.
pub(crate) fn digest(token: &RefreshToken) -> TokenDigest {
    digest_of(token.expose())
}

/// The SHA-256 of any secret handed to a client.
pub(crate) fn digest_of(secret: &str) -> TokenDigest {
    TokenDigest(Sha256::digest(secret.as_bytes()).into())
}

/// Opens sessions: a fresh token of 256 random bits, stored as its digest.
#[derive(Clone)]
pub struct SessionIssuer {
    pub(crate) sessions: Arc<dyn SessionRepository>,
    key: Arc<RefreshKey>,
    pub(crate) policy: SessionPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SessionIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionIssuer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl SessionIssuer {
    /// Sessions kept in `sessions`, tokens derived under `key`.
    pub fn new(
        sessions: Arc<dyn SessionRepository>,
        key: RefreshKey,
        policy: SessionPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            sessions,
            key: Arc::new(key),
            policy,
            clock,
        }
    }

    /// A new session of `user`, from `client`.
    pub(crate) async fn open(&self, user: User, client: ClientInfo) -> Result<Grant, ServiceError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|error| ServiceError::Internal(Box::new(error)))?;
        let token = RefreshToken::new(URL_SAFE_NO_PAD.encode(bytes));
        let now = self.clock.now();
        let session = self
            .sessions
            .create(NewSession {
                id: SessionId::generate(),
                user_id: user.id,
                token: digest(&token),
                expires_at: now + self.policy.ttl,
                client,
            })
            .await?;
        Ok(Grant {
            user,
            session: session.id,
            refresh_token: token,
            issued_at: session.created_at,
        })
    }

    /// The successor of `token`.
    pub(crate) fn successor(&self, token: &RefreshToken) -> RefreshToken {
        self.key.successor(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_are_fixed_per_token_and_key() {
        let key = RefreshKey::derive(b"a-secret-of-at-least-32-bytes-long!!");
        let token = RefreshToken::new("some-token".into());
        assert_eq!(key.successor(&token), key.successor(&token));
        assert_ne!(
            key.successor(&token),
            RefreshKey::derive(b"another-secret-of-at-least-32-bytes").successor(&token)
        );
        assert_eq!(key.successor(&token).expose().len(), 43);
        assert_ne!(digest(&token), digest(&key.successor(&token)));
    }
}
