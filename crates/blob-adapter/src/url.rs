//! `STORAGE_URL`: where attachment bytes are kept.

use std::{fmt, path::PathBuf, str::FromStr};

/// A parsed `STORAGE_URL`.
///
/// ```
/// use std::path::PathBuf;
/// use trellis_blobs::StorageUrl;
///
/// assert_eq!("memory:".parse(), Ok(StorageUrl::Memory));
/// assert_eq!("file:///srv/blobs".parse(), Ok(StorageUrl::File(PathBuf::from("/srv/blobs"))));
/// assert_eq!("file://./data".parse(), Ok(StorageUrl::File(PathBuf::from("./data"))));
/// assert_eq!(
///     "s3://attachments/trellis/prod".parse(),
///     Ok(StorageUrl::S3 { bucket: "attachments".into(), prefix: "trellis/prod".into() }),
/// );
/// assert!("https://example.com/blobs".parse::<StorageUrl>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `memory:` — kept in the process, lost when it ends.
    Memory,
    /// `file:///absolute/path` or `file://./relative/path` — a directory on
    /// the local file system.
    File(PathBuf),
    /// `s3://bucket/optional/prefix` — an S3-compatible object store.
    S3 {
        /// The bucket's name.
        bucket: String,
        /// The key prefix under which blobs go, without leading or trailing
        /// `/`; empty for the bucket's root.
        prefix: String,
    },
}

/// A `STORAGE_URL` of none of the supported forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "STORAGE_URL must be file:///absolute/path, file://./relative/path, \
     s3://bucket/optional/prefix or memory: ({0})"
)]
pub struct BadStorageUrl(&'static str);

impl FromStr for StorageUrl {
    type Err = BadStorageUrl;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw == "memory:" {
            return Ok(Self::Memory);
        }
        if let Some(path) = raw.strip_prefix("file://") {
            return parse_path(path).map(Self::File);
        }
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            return Ok(Self::S3 {
                bucket: parse_bucket(bucket)?.to_owned(),
                prefix: parse_prefix(prefix)?.to_owned(),
            });
        }
        Err(BadStorageUrl("unknown scheme"))
    }
}

fn parse_path(path: &str) -> Result<PathBuf, BadStorageUrl> {
    let relative = path.starts_with("./") || path.starts_with("../") || path == ".";
    if !(path.starts_with('/') || relative) {
        return Err(BadStorageUrl(
            "a file path must start with / (absolute) or ./ (relative)",
        ));
    }
    Ok(PathBuf::from(path))
}

/// S3's rules for bucket names: 3 to 63 lower-case letters, digits, `.`
/// and `-`, starting and ending with a letter or digit.
fn parse_bucket(bucket: &str) -> Result<&str, BadStorageUrl> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&bucket.len())
        && bucket.chars().all(allowed)
        && edge(bucket.chars().next())
        && edge(bucket.chars().last())
    {
        Ok(bucket)
    } else {
        Err(BadStorageUrl("not a valid S3 bucket name"))
    }
}

/// Segments of a key prefix: none empty, `.` or `..`.
fn parse_prefix(prefix: &str) -> Result<&str, BadStorageUrl> {
    let prefix = prefix.trim_end_matches('/');
    let bad = |segment: &str| segment.is_empty() || segment == "." || segment == "..";
    if !prefix.is_empty() && prefix.split('/').any(bad) {
        return Err(BadStorageUrl("the S3 prefix has an empty, . or .. segment"));
    }
    Ok(prefix)
}

impl fmt::Display for StorageUrl {
    /// The URL it was parsed from, in its normal form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory:"),
            Self::File(path) => write!(f, "file://{}", path.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(bucket: &str, prefix: &str) -> StorageUrl {
        StorageUrl::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn supported_forms_parse_and_print_back() {
        for (raw, url) in [
            ("memory:", StorageUrl::Memory),
            (
                "file:///var/lib/trellis",
                StorageUrl::File("/var/lib/trellis".into()),
            ),
            (
                "file://./data/attachments",
                StorageUrl::File("./data/attachments".into()),
            ),
            ("file://../blobs", StorageUrl::File("../blobs".into())),
            ("s3://my-bucket", s3("my-bucket", "")),
            ("s3://my.bucket/a/b", s3("my.bucket", "a/b")),
        ] {
            assert_eq!(raw.parse::<StorageUrl>(), Ok(url.clone()), "{raw}");
            assert_eq!(url.to_string(), raw);
        }
        assert_eq!("s3://bkt/p/".parse(), Ok(s3("bkt", "p")));
        assert_eq!("s3://bkt/".parse(), Ok(s3("bkt", "")));
    }

    #[test]
    fn anything_else_is_refused_naming_storage_url() {
        for raw in [
            "",
            "memory",
            "/var/lib/trellis",
            "file://host/path",
            "file://",
            "s3://",
            "s3://Upper",
            "s3://ab",
            "s3://-bucket",
            "s3://key:secret@bucket/p",
            "s3://bucket//p",
            "s3://bucket/a/../b",
            "gs://bucket",
        ] {
            let error = raw.parse::<StorageUrl>().expect_err(raw);
            assert!(
                error.to_string().starts_with("STORAGE_URL must be"),
                "{raw}"
            );
            assert!(!error.to_string().contains("secret"));
        }
    }
}
