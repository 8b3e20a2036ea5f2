//! When a project is due.

use serde::{Serialize, Serializer};
use std::fmt;
use time::{
    Date, OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description,
};

/// A calendar date a project is due, rendered `YYYY-MM-DD`.
///
/// A stored deadline may lie in the past (time moves on); a deadline a
/// client *sets* must be after today, which [`Deadline::check_after`]
/// checks (the service holds the clock).
///
/// ```
/// use time::macros::date;
/// use trellis_domain::Deadline;
///
/// let today = date!(2026 - 11 - 24);
/// let deadline = Deadline::parse("2027-01-31T23:30:00-05:00").unwrap();
/// assert_eq!(deadline.to_string(), "2027-01-31");
/// assert!(deadline.check_after(today).is_ok());
/// assert!(Deadline::parse("2026-11-24").unwrap().check_after(today).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(Date);

impl Deadline {
    /// A deadline on `date`, as read back from storage.
    pub fn new(date: Date) -> Self {
        Self(date)
    }

    /// Parses an ISO date (`2027-01-31`) or an RFC 3339 date-time (its date
    /// part is kept).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        Date::parse(raw, format_description!("[year]-[month]-[day]"))
            .or_else(|_| OffsetDateTime::parse(raw, &Rfc3339).map(|at| at.date()))
            .map(Self)
            .map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 date-time")
    }

    /// The rule for a deadline a client sets: strictly after `today` (UTC).
    pub fn check_after(self, today: Date) -> Result<Self, &'static str> {
        if self.0 <= today {
            return Err("must be after today");
        }
        Ok(self)
    }

    /// The date.
    pub fn date(self) -> Date {
        self.0
    }
}

/// As its [`Display`](fmt::Display) text, `2027-01-31`.
impl Serialize for Deadline {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.0.to_calendar_date();
        write!(f, "{year:04}-{:02}-{day:02}", month as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    fn set(raw: &str) -> Result<Deadline, &'static str> {
        Deadline::parse(raw)?.check_after(TODAY)
    }

    #[test]
    fn accepts_dates_after_today_only() {
        assert!(set("2026-11-25").is_ok());
        assert_eq!(set("2026-11-24"), Err("must be after today"));
        assert_eq!(set("2020-01-01"), Err("must be after today"));
    }

    #[test]
    fn keeps_the_date_part_of_a_date_time() {
        let d = Deadline::parse("2027-03-01T00:00:00.123Z").unwrap();
        assert_eq!(d.date(), date!(2027 - 03 - 01));
    }

    #[test]
    fn rejects_non_dates() {
        for bad in [
            "",
            "tomorrow",
            "2027-02-30",
            "2027-1-5",
            "27-01-05",
            "2027-01-05T25:00:00Z",
        ] {
            assert!(Deadline::parse(bad).is_err(), "{bad}");
        }
    }
}
