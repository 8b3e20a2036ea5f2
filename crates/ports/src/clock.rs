//! Time, as a port, so that rules about "today" can be tested.

use time::{Date, OffsetDateTime};

/// Tells the time, in UTC.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// Today's date in UTC.
    fn today(&self) -> Date {
        self.now().date()
    }
}
