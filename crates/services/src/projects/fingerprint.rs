//! The fingerprint of a create: what it asks, whatever its spelling (JSON or
//! a form, key order, `10` or `10.0`).

use sha2::{Digest, Sha256};
use trellis_domain::{Change, ProjectPatch, RequestFingerprint};

/// SHA-256 over each field in a fixed order: absent, set (with its value,
/// length-prefixed) or cleared, so that no two different requests encode
/// alike.
pub(super) fn of(fields: &ProjectPatch) -> RequestFingerprint {
    let mut fingerprint = Fields(Sha256::new());
    fingerprint.required(fields.name.as_ref().map(|name| name.as_str().as_bytes()));
    fingerprint.required(fields.status.map(|status| status.as_str().as_bytes()));
    fingerprint.optional(&fields.description, |d| d.as_str().as_bytes().to_vec());
    fingerprint.optional(&fields.budget, |b| b.cents().to_be_bytes().to_vec());
    fingerprint.optional(&fields.deadline, |d| d.date().to_string().into_bytes());
    RequestFingerprint::from_bytes(fingerprint.0.finalize().into())
}

struct Fields(Sha256);

impl Fields {
    const ABSENT: u8 = 0;
    const SET: u8 = 1;
    const CLEARED: u8 = 2;

    fn set(&mut self, bytes: &[u8]) {
        self.0.update([Self::SET]);
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    fn required(&mut self, value: Option<&[u8]>) {
        match value {
            Some(bytes) => self.set(bytes),
            None => self.0.update([Self::ABSENT]),
        }
    }

    fn optional<T>(&mut self, change: &Change<T>, encode: impl FnOnce(&T) -> Vec<u8>) {
        match change {
            Change::Keep => self.0.update([Self::ABSENT]),
            Change::Clear => self.0.update([Self::CLEARED]),
            Change::Set(value) => self.set(&encode(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::of;
    use trellis_domain::{Budget, Change, Description, ProjectName, ProjectPatch};

    fn named(name: &str) -> ProjectPatch {
        ProjectPatch {
            name: Some(ProjectName::parse(name).unwrap()),
            ..ProjectPatch::default()
        }
    }

    #[test]
    fn equal_fields_have_equal_fingerprints_and_any_difference_shows() {
        let budget = |text| ProjectPatch {
            budget: Change::Set(Budget::parse(text).unwrap()),
            ..named("Apollo")
        };
        assert_eq!(of(&budget("10")), of(&budget("10.00")));
        assert_ne!(of(&budget("10")), of(&budget("10.01")));
        assert_ne!(of(&named("Apollo")), of(&named("Apollo 2")));
        let cleared = ProjectPatch {
            description: Change::Clear,
            ..named("Apollo")
        };
        let empty_text = ProjectPatch {
            description: Change::Set(Description::parse("x").unwrap()),
            ..named("Apollo")
        };
        assert_ne!(of(&named("Apollo")), of(&cleared));
        assert_ne!(of(&cleared), of(&empty_text));
    }
}
