//! Keyset cursors: where a listing stopped, with the sort and filters it
//! was made with, sealed so that a client can neither forge nor alter one.
//!
//! A cursor is `base64url(payload ‖ tag)`, the tag being the first 16 bytes
//! of an HMAC-SHA256 of the payload under a key derived from the server's
//! secret. The payload, version 1: the version byte; the sort (key index,
//! high bit for descending); the status set's bits; the search's length
//! (u16, 0 for none) and UTF-8 bytes; the sort value's kind (0 none, 1 time
//! in unix nanoseconds as i128, 2 name as u16 length and bytes, 3 date as
//! Julian day i32, 4 cents i64); the last id's 16 bytes. Integers are big
//! endian. Nothing in it is secret: it only must not be forged.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use time::{Date, OffsetDateTime};
use trellis_domain::{
    Direction, Position, ProjectFilter, ProjectId, ProjectSort, SearchQuery, SortKey, SortValue,
    StatusSet,
};
use uuid::Uuid;

const VERSION: u8 = 1;
const TAG_BYTES: usize = 16;

/// What a cursor holds: the listing it continues, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) sort: ProjectSort,
    pub(crate) filter: ProjectFilter,
    pub(crate) after: Position,
}

/// The key cursors are sealed with, derived from the server's secret.
/// Redacted in `Debug`.
#[derive(Clone)]
pub struct CursorKey(Hmac<Sha256>);

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

impl CursorKey {
    /// The key for the server's `secret` (`JWT_SECRET`).
    pub fn derive(secret: &[u8]) -> Self {
        Self(crate::keys::derive(secret, b"trellis list-cursor key v1"))
    }

    /// `cursor`, sealed.
    pub(crate) fn seal(&self, cursor: &Cursor) -> String {
        let mut bytes = encode(cursor);
        let mut mac = self.0.clone();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor `sealed` holds, if this key sealed it.
    pub(crate) fn open(&self, sealed: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let (payload, tag) = bytes.split_at(split);
        let mut mac = self.0.clone();
        mac.update(payload);
        mac.verify_truncated_left(tag).ok()?;
        decode(payload)
    }
}

fn encode(cursor: &Cursor) -> Vec<u8> {
    let mut out = vec![VERSION];
    let key = SortKey::ALL
        .iter()
        .position(|key| *key == cursor.sort.key)
        .unwrap_or_default() as u8;
    let descending = if cursor.sort.direction == Direction::Descending {
        0x80
    } else {
        0
    };
    out.push(key | descending);
    out.push(cursor.filter.statuses.bits());
    put_text(
        &mut out,
        cursor
            .filter
            .search
            .as_ref()
            .map_or("", SearchQuery::as_str),
    );
    match &cursor.after.value {
        None => out.push(0),
        Some(SortValue::Time(at)) => {
            out.push(1);
            out.extend_from_slice(&at.unix_timestamp_nanos().to_be_bytes());
        }
        Some(SortValue::Name(name)) => {
            out.push(2);
            put_text(&mut out, name);
        }
        Some(SortValue::Date(date)) => {
            out.push(3);
            out.extend_from_slice(&date.to_julian_day().to_be_bytes());
        }
        Some(SortValue::Cents(cents)) => {
            out.push(4);
            out.extend_from_slice(&cents.to_be_bytes());
        }
    }
    out.extend_from_slice(cursor.after.id.as_uuid().as_bytes());
    out
}

/// Texts in a cursor are at most a few hundred bytes (a search of 200
/// characters, a name of 200).
fn put_text(out: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&text.as_bytes()[..usize::from(len)]);
}

fn decode(payload: &[u8]) -> Option<Cursor> {
    let mut input = Reader(payload);
    if input.byte()? != VERSION {
        return None;
    }
    let sort_byte = input.byte()?;
    let sort = ProjectSort {
        key: *SortKey::ALL.get(usize::from(sort_byte & 0x7f))?,
        direction: if sort_byte & 0x80 == 0 {
            Direction::Ascending
        } else {
            Direction::Descending
        },
    };
    let statuses = StatusSet::from_bits(input.byte()?)?;
    let search = match input.text()? {
        "" => None,
        text => Some(SearchQuery::parse(text).ok()?),
    };
    let value = match input.byte()? {
        0 => None,
        1 => Some(SortValue::Time(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from_be_bytes(input.array()?)).ok()?,
        )),
        2 => Some(SortValue::Name(input.text()?.to_owned())),
        3 => Some(SortValue::Date(
            Date::from_julian_day(i32::from_be_bytes(input.array()?)).ok()?,
        )),
        4 => Some(SortValue::Cents(i64::from_be_bytes(input.array()?))),
        _ => return None,
    };
    let id = ProjectId::from(Uuid::from_bytes(input.array()?));
    // The value must be of the sort's kind, and nothing may follow.
    let fits = match (&value, sort.key) {
        (None, key) => key.is_nullable(),
        (Some(SortValue::Time(_)), SortKey::CreatedAt | SortKey::UpdatedAt)
        | (Some(SortValue::Name(_)), SortKey::Name)
        | (Some(SortValue::Date(_)), SortKey::Deadline)
        | (Some(SortValue::Cents(_)), SortKey::Budget) => true,
        _ => false,
    };
    (fits && input.0.is_empty()).then_some(Cursor {
        sort,
        filter: ProjectFilter { statuses, search },
        after: Position { value, id },
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = u16::from_be_bytes(self.array()?);
        std::str::from_utf8(self.take(usize::from(len))?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursors() -> Vec<Cursor> {
        let id = ProjectId::generate();
        let values = [
            (
                SortKey::CreatedAt,
                Some(SortValue::Time(OffsetDateTime::now_utc())),
            ),
            (SortKey::Name, Some(SortValue::Name("Ärger | 50% ✓".into()))),
            (
                SortKey::Deadline,
                Some(SortValue::Date(time::macros::date!(2027 - 01 - 31))),
            ),
            (SortKey::Deadline, None),
            (SortKey::Budget, Some(SortValue::Cents(-1))),
        ];
        values
            .into_iter()
            .map(|(key, value)| Cursor {
                sort: ProjectSort {
                    key,
                    direction: Direction::Descending,
                },
                filter: ProjectFilter {
                    statuses: StatusSet::parse("active,archived").unwrap(),
                    search: SearchQuery::parse("moon ünd").ok(),
                },
                after: Position { value, id },
            })
            .collect()
    }

    #[test]
    fn sealed_cursors_open_to_themselves() {
        let key = CursorKey::derive(b"secret");
        for cursor in cursors() {
            assert_eq!(key.open(&key.seal(&cursor)), Some(cursor));
        }
    }

    #[test]
    fn forged_altered_and_foreign_cursors_do_not_open() {
        let key = CursorKey::derive(b"secret");
        let sealed = key.seal(&cursors()[0]);
        assert_eq!(CursorKey::derive(b"another secret").open(&sealed), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        bytes[1] ^= 1;
        assert_eq!(key.open(&URL_SAFE_NO_PAD.encode(&bytes)), None);
        for garbage in ["", "x", "!!!!", &sealed[1..], &format!("{sealed}A")] {
            assert_eq!(key.open(garbage), None, "{garbage:?}");
        }
    }
}
