//! A download's `Range` (RFC 9110 §14.2): one `bytes` range, or the whole
//! file. A header that is not a single valid `bytes` range is ignored, as
//! the RFC allows; several ranges are answered whole.

use trellis_ports::ByteRange;

/// What part of a file of a given size a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wanted {
    /// All of it (no `Range`, or one to ignore).
    Whole,
    /// These bytes: a 206.
    Part(ByteRange),
    /// A range the file cannot satisfy: a 416.
    Unsatisfiable,
}

/// What `header` (the `Range` value, if any) wants of `size` bytes.
pub(super) fn wanted(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(single_bytes_range) else {
        return Wanted::Whole;
    };
    let (first, last) = spec;
    let range = match (first, last) {
        // `-n`: the last n bytes.
        (None, Some(0)) | (None, None) => return Wanted::Unsatisfiable,
        (None, Some(suffix)) => (size > 0).then(|| ByteRange {
            start: size - suffix.min(size),
            end: size - 1,
        }),
        (Some(start), last) => (start < size).then(|| ByteRange {
            start,
            end: last.map_or(size - 1, |last| last.min(size - 1)),
        }),
    };
    range.map_or(Wanted::Unsatisfiable, Wanted::Part)
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n`, as (a, b); `None` for anything
/// else (another unit, several ranges, `a > b`, not digits).
fn single_bytes_range(header: &str) -> Option<(Option<u64>, Option<u64>)> {
    let (unit, set) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || set.contains(',') {
        return None;
    }
    let (first, last) = set.trim().split_once('-')?;
    let number = |text: &str| -> Option<Option<u64>> {
        match text.trim() {
            "" => Some(None),
            digits if digits.bytes().all(|b| b.is_ascii_digit()) => {
                // Past u64, a position is beyond any file.
                Some(Some(digits.parse().unwrap_or(u64::MAX)))
            }
            _ => None,
        }
    };
    let (first, last) = (number(first)?, number(last)?);
    match (first, last) {
        (None, None) => None,
        (Some(a), Some(b)) if a > b => None,
        spec => Some(spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> Wanted {
        Wanted::Part(ByteRange { start, end })
    }

    #[test]
    fn single_ranges_are_clamped_to_the_file() {
        assert_eq!(wanted(Some("bytes=0-0"), 10), part(0, 0));
        assert_eq!(wanted(Some("bytes=2-5"), 10), part(2, 5));
        assert_eq!(wanted(Some("bytes=2-"), 10), part(2, 9));
        assert_eq!(wanted(Some("bytes=8-100"), 10), part(8, 9));
        assert_eq!(wanted(Some("bytes=-3"), 10), part(7, 9));
        assert_eq!(wanted(Some("bytes=-30"), 10), part(0, 9));
        assert_eq!(wanted(Some("Bytes = 1-2"), 10), part(1, 2));
        assert_eq!(
            wanted(Some("bytes=0-99999999999999999999999"), 10),
            part(0, 9)
        );
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=10-20"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-5"), 0), Wanted::Unsatisfiable);
        assert_eq!(
            wanted(Some("bytes=99999999999999999999-"), 10),
            Wanted::Unsatisfiable
        );
    }

    #[test]
    fn anything_else_is_the_whole_file() {
        for header in [
            None,
            Some("bytes=5-2"),
            Some("bytes=0-1,4-5"),
            Some("items=0-1"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes 0-1"),
            Some("bytes=+1-2"),
        ] {
            assert_eq!(wanted(header, 10), Wanted::Whole, "{header:?}");
        }
    }
}
