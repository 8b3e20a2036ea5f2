//! Keys derived from the server's secret (`JWT_SECRET`): one per purpose,
//! each under a label of its own, so that none is the token-signing key
//! itself and a value made for one purpose is refused by another.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HMAC-SHA256 key for `purpose`, derived from `secret`.
pub(crate) fn derive(secret: &[u8], purpose: &[u8]) -> Hmac<Sha256> {
    let mut mac = keyed(secret);
    mac.update(purpose);
    keyed(&mac.finalize().into_bytes())
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}
