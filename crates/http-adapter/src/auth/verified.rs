//! Tokens a serving thread has verified lately. A client sends the same
//! token with every request, and checking its signature and reading its
//! claims again each time cost more than the rest of `/api/me`'s own work
//! (docs/PERFORMANCE.md). Only tokens that verified are kept, with what
//! they say and when they expire; expiry is judged again at every use, as
//! verification judges it, and revocation is not kept here at all.

use std::{cell::RefCell, collections::HashMap};
use thread_local::ThreadLocal;
use trellis_ports::Actor;

/// Most tokens one thread remembers; one more, and it starts from none.
/// At about 350 bytes each, some 350 KiB per thread at most.
pub(super) const REMEMBERED: usize = 1024;

/// What a genuine token says.
#[derive(Clone, Copy)]
pub(super) struct Verified {
    pub actor: Actor,
    /// Its `exp`, seconds since the Unix epoch.
    pub exp: i64,
}

/// Each thread's verified tokens, by the token's text (never logged, never
/// shown: no `Debug`).
#[derive(Default)]
pub(super) struct VerifiedTokens(ThreadLocal<RefCell<HashMap<Box<str>, Verified>>>);

impl VerifiedTokens {
    /// What this thread verified `token` to say, if it did.
    pub fn get(&self, token: &str) -> Option<Verified> {
        self.0.get()?.borrow().get(token).copied()
    }

    /// Keeps what `token` was verified to say.
    pub fn remember(&self, token: &str, verified: Verified) {
        let mut known = self.0.get_or_default().borrow_mut();
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(token.into(), verified);
    }

    /// Forgets `token` (it has expired).
    pub fn forget(&self, token: &str) {
        if let Some(known) = self.0.get() {
            known.borrow_mut().remove(token);
        }
    }

    /// How many tokens this thread remembers.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.get().map_or(0, |known| known.borrow().len())
    }
}
