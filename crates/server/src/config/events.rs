//! The event streams' settings.

use super::{ConfigError, Source};
use std::time::Duration;

/// Event streams (`GET /api/events`).
#[derive(Debug, Clone, Copy)]
pub struct EventConfig {
    /// `EVENTS_RETENTION_SECS`: how long events are kept for streams that
    /// resume (3600).
    pub retention: Duration,
    /// `EVENTS_MAX_PER_USER`: streams one user may have open on an
    /// instance (5).
    pub max_per_user: usize,
}

impl EventConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        let max_per_user = source.parse("EVENTS_MAX_PER_USER", 5)?;
        if max_per_user == 0 {
            return Err(ConfigError::new(
                "EVENTS_MAX_PER_USER",
                "must be at least 1",
            ));
        }
        Ok(Self {
            retention: source.positive_secs("EVENTS_RETENTION_SECS", 3600)?,
            max_per_user,
        })
    }
}
