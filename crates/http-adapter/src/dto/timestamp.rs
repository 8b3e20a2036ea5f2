//! Timestamps on the wire: RFC 3339 in UTC with microseconds,
//! `2026-11-23T10:00:00.123456Z`, always the same width.

use serde::Serializer;
use time::{UtcOffset, format_description::BorrowedFormatItem, macros::format_description};
use trellis_domain::Timestamp;

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Serializes `at` in UTC with microseconds (`serde(serialize_with)`).
///
/// Every listed project carries two timestamps, so the common case (years
/// 0 to 9999) is written digit by digit into a fixed buffer; `time`'s
/// general formatter, several times slower, handles the rest.
pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    let utc = at.to_offset(UtcOffset::UTC);
    match fixed_width(&utc) {
        Some(text) => {
            serializer.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
        }
        None => serializer.serialize_str(&utc.format(FORMAT).map_err(serde::ser::Error::custom)?),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, if the year has four digits.
fn fixed_width(at: &Timestamp) -> Option<[u8; 27]> {
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (range, value) in [
        (0..4, year),
        (5..7, u32::from(u8::from(at.month()))),
        (8..10, u32::from(at.day())),
        (11..13, u32::from(at.hour())),
        (14..16, u32::from(at.minute())),
        (17..19, u32::from(at.second())),
        (20..26, at.microsecond()),
    ] {
        let mut value = value;
        for digit in text[range].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    Some(text)
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
        assert_eq!(
            render(datetime!(-0001-12-31 23:59:59.999999 UTC)),
            "\"-0001-12-31T23:59:59.999999Z\""
        );
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_formatter() {
        let start = datetime!(1970-01-01 00:00:00 UTC);
        let mut at = start;
        for step in 0..20_000i64 {
            // Irregular steps cover every field's digits.
            at += time::Duration::microseconds(step * 7_919_993 + 13);
            let fast = super::fixed_width(&at).unwrap();
            let general = at.format(super::FORMAT).unwrap();
            assert_eq!(std::str::from_utf8(&fast).unwrap(), general, "{at}");
        }
    }
}
