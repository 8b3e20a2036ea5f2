//! What an upload's bytes are, measured while they stream to storage: their
//! size against the limit, their SHA-256 digest, their type.

use super::AttachmentPolicy;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, PoisonError};
use trellis_domain::{ContentProbe, MediaType, Sha256Digest};
use trellis_ports::{ByteStream, ServiceError};

/// Why the meter stopped an upload: the error its stream ends in, which
/// the blob store hands back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// Past the size limit.
    #[error("the upload passed the size limit")]
    TooLarge,
    /// Its bytes are of a type not allowed.
    #[error("the upload's type is not allowed")]
    UnsupportedType,
}

impl From<Rejected> for ServiceError {
    fn from(rejected: Rejected) -> Self {
        match rejected {
            Rejected::TooLarge => Self::TooLarge,
            Rejected::UnsupportedType => Self::UnsupportedType,
        }
    }
}

/// What the bytes were, once they all passed.
#[derive(Debug)]
pub struct Measured {
    pub size: u64,
    pub sha256: Sha256Digest,
    pub content_type: MediaType,
}

#[derive(Debug, Default)]
struct Readings {
    size: u64,
    hasher: Sha256,
    probe: ContentProbe,
}

/// The readings of a stream [`Meter::wrap`] made.
#[derive(Debug)]
pub struct Meter(Arc<Mutex<Readings>>);

impl Meter {
    /// `body`, measured as it is read: it ends in a [`Rejected`] error as
    /// soon as it passes `policy`'s size, or its type is known to be one
    /// `policy` does not allow.
    pub fn wrap(body: ByteStream, policy: Arc<AttachmentPolicy>) -> (ByteStream, Self) {
        let readings = Arc::new(Mutex::new(Readings::default()));
        let shared = readings.clone();
        let mut failed: Option<Rejected> = None;
        let metered = body.map(move |chunk| {
            let chunk = chunk?;
            if let Some(rejected) = failed {
                return Err(rejected.into());
            }
            let mut readings = shared.lock().unwrap_or_else(PoisonError::into_inner);
            readings.size += chunk.len() as u64;
            if readings.size > policy.max_bytes {
                failed = Some(Rejected::TooLarge);
                return Err(Rejected::TooLarge.into());
            }
            readings.probe.feed(&chunk);
            if let Some(kind) = readings.probe.settled()
                && !policy.types.contains(&kind)
            {
                failed = Some(Rejected::UnsupportedType);
                return Err(Rejected::UnsupportedType.into());
            }
            readings.hasher.update(&chunk);
            Ok(chunk)
        });
        (metered.boxed(), Self(readings))
    }

    /// The readings of every byte that passed; `declared` is the type the
    /// client said.
    pub fn finish(self, declared: Option<&str>) -> Measured {
        let readings = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        Measured {
            size: readings.size,
            sha256: Sha256Digest::from_bytes(readings.hasher.finalize().into()),
            content_type: readings.probe.finish(declared),
        }
    }
}
