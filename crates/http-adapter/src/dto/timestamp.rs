//! Timestamps on the wire: RFC 3339 in UTC with microseconds,
//! `2026-11-23T10:00:00.123456Z`, always the same width.

use serde::Serializer;
use time::{UtcOffset, format_description::BorrowedFormatItem, macros::format_description};
use trellis_domain::Timestamp;

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Serializes `at` in UTC with microseconds (`serde(serialize_with)`).
pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    let text = at
        .to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn renders_utc_with_six_fraction_digits() {
        let render = |at| {
            let mut out = Vec::new();
            super::serialize(&at, &mut serde_json::Serializer::new(&mut out)).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            render(datetime!(2026-11-23 11:00:00.1234567 +01:00)),
            "\"2026-11-23T10:00:00.123456Z\""
        );
        assert_eq!(
            render(datetime!(2026-01-02 03:04:05 UTC)),
            "\"2026-01-02T03:04:05.000000Z\""
        );
    }
}
