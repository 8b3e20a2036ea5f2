//! Failed logins counted per account, whoever sends them.

use super::ResilientCounters;
use sha2::{Digest, Sha256};
use std::{fmt::Write as _, sync::Arc, time::Duration};
use trellis_domain::Email;
use trellis_ports::{CounterStore, ServiceError};

/// After `max_failures` failed logins for one e-mail within a window,
/// logins for it are refused until the window ends, from any address: a
/// credential-stuffing run spread over many IPs still stops. A success does
/// not reset the window (an attacker who filled it would otherwise only
/// need the owner to log in). Unknown e-mails are counted like known ones,
/// so the answer reveals nothing about who has an account.
///
/// The counters' keys carry a SHA-256 of the e-mail, never the address.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    counters: Arc<ResilientCounters>,
    max_failures: u32,
    window: Duration,
}

impl LoginThrottle {
    /// `max_failures` (0 turns the throttle off) per `window`, counted in
    /// `counters`.
    pub fn new(counters: Arc<ResilientCounters>, max_failures: u32, window: Duration) -> Self {
        Self {
            counters,
            max_failures,
            window,
        }
    }

    /// [`ServiceError::TooManyAttempts`] if `email` has used up its
    /// failures in the current window.
    pub(crate) async fn check(&self, email: &Email) -> Result<(), ServiceError> {
        if self.max_failures == 0 {
            return Ok(());
        }
        match self.counters.peek(&key(email)).await {
            Ok(Some(hit)) if hit.count >= u64::from(self.max_failures) => {
                Err(ServiceError::TooManyAttempts {
                    retry_after: hit.resets_in,
                })
            }
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::error!(%error, "cannot read failed logins");
                Ok(())
            }
        }
    }

    /// Counts one failed login for `email`.
    pub(crate) async fn record_failure(&self, email: &Email) {
        if self.max_failures == 0 {
            return;
        }
        if let Err(error) = self.counters.hit(&key(email), self.window).await {
            tracing::error!(%error, "cannot count a failed login");
        }
    }
}

fn key(email: &Email) -> String {
    let mut key = String::from("login-failures:");
    for byte in Sha256::digest(email.as_str().as_bytes()) {
        let _ = write!(key, "{byte:02x}");
    }
    key
}
