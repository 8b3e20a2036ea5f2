//! Files attached to a project: what is known of one, and the rules that
//! name it and tell what its bytes are.

use crate::{AttachmentId, ProjectId, Timestamp};
use std::{fmt, str::FromStr};

/// A file attached to a project. Its bytes live in blob storage under
/// [`Attachment::blob_key`]; this is what is known of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its identifier.
    pub id: AttachmentId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The client's name for it, made safe.
    pub filename: FileName,
    /// What the bytes are, as sniffed from them (never as the client said).
    pub content_type: MediaType,
    /// How many bytes.
    pub size: u64,
    /// The SHA-256 digest of the bytes.
    pub sha256: Sha256Digest,
    /// When it was stored.
    pub created_at: Timestamp,
}

impl Attachment {
    /// Where its bytes are stored.
    pub fn blob_key(&self) -> BlobKey {
        BlobKey::new(self.project_id, self.id)
    }
}

/// Where an attachment's bytes are stored: made of its project's and its
/// own identifiers only, so nothing a client sends is ever part of a path.
///
/// ```
/// use trellis_domain::{AttachmentId, BlobKey, ProjectId};
///
/// let key = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
/// assert_eq!(key.to_string().parse::<BlobKey>(), Ok(key));
/// assert!("../etc/passwd".parse::<BlobKey>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey {
    project: ProjectId,
    attachment: AttachmentId,
}

/// A text that is not a [`BlobKey`] (an object Trellis did not write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotABlobKey;

impl BlobKey {
    /// The key of `attachment` of `project`.
    pub fn new(project: ProjectId, attachment: AttachmentId) -> Self {
        Self {
            project,
            attachment,
        }
    }

    /// The project the blob belongs to.
    pub fn project(&self) -> ProjectId {
        self.project
    }

    /// The attachment the blob holds.
    pub fn attachment(&self) -> AttachmentId {
        self.attachment
    }
}

impl fmt::Display for BlobKey {
    /// `<project id>/<attachment id>`, both hyphenated lower-case UUIDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.attachment)
    }
}

impl FromStr for BlobKey {
    type Err = NotABlobKey;

    /// Exactly the [`Display`](fmt::Display) form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (project, attachment) = s.split_once('/').ok_or(NotABlobKey)?;
        let key = Self::new(
            project.parse().map_err(|_| NotABlobKey)?,
            attachment.parse().map_err(|_| NotABlobKey)?,
        );
        if key.to_string() == s {
            Ok(key)
        } else {
            Err(NotABlobKey)
        }
    }
}

/// A file's name as shown to people: the client's name without any
/// directory part, control or direction-override characters, at most
/// [`FileName::MAX_BYTES`] bytes. It is never part of a storage path.
///
/// ```
/// use trellis_domain::FileName;
///
/// assert_eq!(FileName::sanitize("C:\\Users\\ada\\notes.txt").as_str(), "notes.txt");
/// assert_eq!(FileName::sanitize("../../etc/passwd").as_str(), "passwd");
/// assert_eq!(FileName::sanitize("re\u{0}port\r\n.pdf").as_str(), "report.pdf");
/// assert_eq!(FileName::sanitize("evil\u{202e}fdp.exe").as_str(), "evilfdp.exe");
/// assert_eq!(FileName::sanitize("..").as_str(), "file");
/// assert_eq!(FileName::sanitize(&"é".repeat(200)).as_str().len(), 254);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// Most bytes in a name.
    pub const MAX_BYTES: usize = 255;
    /// The name of a file whose client gave none (or nothing usable).
    pub const FALLBACK: &'static str = "file";

    /// The safe form of the client's name `raw`.
    pub fn sanitize(raw: &str) -> Self {
        let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let kept: String = base.chars().filter(|c| !is_hidden_control(*c)).collect();
        let mut name = kept.trim();
        if name.len() > Self::MAX_BYTES {
            let mut end = Self::MAX_BYTES;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name = name[..end].trim_end();
        }
        if name.is_empty() || name == "." || name == ".." {
            return Self(Self::FALLBACK.to_owned());
        }
        Self(name.to_owned())
    }

    /// A name read back from storage, trusted as already sanitized.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters, and the invisible ones that reorder text (so that
/// `evil\u{202e}fdp.exe` cannot show as `evilexe.pdf`).
fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A media type such as `image/png`: `type/subtype`, lower case, without
/// parameters.
///
/// ```
/// use trellis_domain::MediaType;
///
/// assert_eq!(MediaType::parse(" Image/PNG ").unwrap().as_str(), "image/png");
/// assert_eq!(MediaType::parse("text/csv; charset=utf-8").unwrap().as_str(), "text/csv");
/// assert!(MediaType::parse("png").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediaType(String);

/// A text that is not a media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeRejected;

impl fmt::Display for TypeRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be a media type such as image/png")
    }
}

impl MediaType {
    /// Bytes with no known signature that are UTF-8 text without NUL.
    pub const TEXT: &'static str = "text/plain";
    /// Text the client called CSV.
    pub const CSV: &'static str = "text/csv";
    /// Anything else.
    pub const BINARY: &'static str = "application/octet-stream";

    /// `raw` without its parameters, if it is `type/subtype` of token
    /// characters.
    pub fn parse(raw: &str) -> Result<Self, TypeRejected> {
        let essence = raw.split(';').next().unwrap_or_default().trim();
        let (kind, sub) = essence.split_once('/').ok_or(TypeRejected)?;
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        if token(kind) && token(sub) {
            Ok(Self(essence.to_ascii_lowercase()))
        } else {
            Err(TypeRejected)
        }
    }

    /// A type read back from storage, trusted as already parsed.
    pub fn from_stored(essence: String) -> Self {
        Self(essence)
    }

    /// The type's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SHA-256 digest, shown as 64 lower-case hex digits.
///
/// ```
/// use trellis_domain::Sha256Digest;
///
/// let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// assert_eq!(Sha256Digest::parse_hex(hex).unwrap().to_string(), hex);
/// assert!(Sha256Digest::parse_hex("e3b0").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// A digest from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A digest from 64 hex digits (either case).
    pub fn parse_hex(hex: &str) -> Option<Self> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |b: u8| (b as char).to_digit(16);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Tells what a file's bytes are while they stream past: their magic
/// number (the `infer` signatures) in the first [`ContentProbe::HEAD_BYTES`],
/// else whether the whole of them is UTF-8 text without NUL.
///
/// ```
/// use trellis_domain::ContentProbe;
///
/// let mut probe = ContentProbe::default();
/// probe.feed(b"\x89PNG\r\n\x1a\n");
/// probe.feed(&[0; 16]);
/// assert_eq!(probe.finish(None).as_str(), "image/png");
///
/// let mut probe = ContentProbe::default();
/// probe.feed("name,city\nAda,Lon".as_bytes());
/// probe.feed("don\n".as_bytes());
/// assert_eq!(probe.finish(Some("text/csv")).as_str(), "text/csv");
///
/// let mut probe = ContentProbe::default();
/// probe.feed(b"\x01\x02\x00 not text");
/// assert_eq!(probe.finish(Some("text/plain")).as_str(), "application/octet-stream");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContentProbe {
    /// The leading bytes, until there are [`Self::HEAD_BYTES`] of them.
    head: Vec<u8>,
    /// Once the head is complete: the signature found in it, if any
    /// (looked for once, not again with every later chunk).
    signature: Option<Option<&'static str>>,
    /// The bytes of a UTF-8 sequence cut by a chunk's end.
    pending: Vec<u8>,
    not_text: bool,
}

impl ContentProbe {
    /// How many leading bytes the signatures are looked for in.
    pub const HEAD_BYTES: usize = 8192;

    /// The next bytes of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.signature.is_none() {
            let room = Self::HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
            if self.head.len() == Self::HEAD_BYTES {
                self.signature = Some(signature(&std::mem::take(&mut self.head)));
            }
        }
        if self.not_text {
            return;
        }
        if chunk.contains(&0) {
            self.not_text = true;
            return;
        }
        let joined;
        let bytes = if self.pending.is_empty() {
            chunk
        } else {
            joined = [self.pending.as_slice(), chunk].concat();
            &joined
        };
        self.pending.clear();
        if let Err(error) = std::str::from_utf8(bytes) {
            if error.error_len().is_some() {
                self.not_text = true;
            } else {
                self.pending
                    .extend_from_slice(&bytes[error.valid_up_to()..]);
            }
        }
    }

    /// What the bytes are, if no later byte can change it: a signature was
    /// found (or none can be) and the head is complete.
    pub fn settled(&self) -> Option<MediaType> {
        match self.signature? {
            Some(mime) => Some(MediaType(mime.to_owned())),
            None if self.not_text => Some(MediaType(Self::binary())),
            None => None,
        }
    }

    /// What the bytes were, once all of them were fed. `declared` is the
    /// type the client said; it counts only to tell CSV from plain text.
    pub fn finish(self, declared: Option<&str>) -> MediaType {
        if let Some(mime) = self.signature.unwrap_or_else(|| signature(&self.head)) {
            return MediaType(mime.to_owned());
        }
        if self.not_text || !self.pending.is_empty() {
            return MediaType(Self::binary());
        }
        let csv = declared
            .and_then(|t| MediaType::parse(t).ok())
            .is_some_and(|t| t.as_str() == MediaType::CSV);
        MediaType(if csv { MediaType::CSV } else { MediaType::TEXT }.to_owned())
    }

    fn binary() -> String {
        MediaType::BINARY.to_owned()
    }
}

/// The media type of the `infer` signature `head` starts with, if any.
fn signature(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|kind| kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_sequence_split_across_chunks_is_still_text() {
        let text = "naïve café ☕".as_bytes();
        for cut in 0..text.len() {
            let mut probe = ContentProbe::default();
            probe.feed(&text[..cut]);
            probe.feed(&text[cut..]);
            assert_eq!(probe.finish(None).as_str(), "text/plain", "cut at {cut}");
        }
    }

    #[test]
    fn a_truncated_sequence_at_the_end_is_not_text() {
        let mut probe = ContentProbe::default();
        probe.feed(&"☕".as_bytes()[..2]);
        assert_eq!(probe.finish(None).as_str(), MediaType::BINARY);
    }

    #[test]
    fn nul_in_a_late_chunk_makes_it_binary() {
        let mut probe = ContentProbe::default();
        probe.feed(&vec![b'a'; ContentProbe::HEAD_BYTES + 10]);
        assert_eq!(probe.settled(), None);
        probe.feed(b"\0");
        assert_eq!(probe.settled().unwrap().as_str(), MediaType::BINARY);
    }

    #[test]
    fn a_signature_settles_once_the_head_is_full() {
        let mut probe = ContentProbe::default();
        probe.feed(b"%PDF-1.7\n");
        assert_eq!(probe.settled(), None);
        probe.feed(&vec![b' '; ContentProbe::HEAD_BYTES]);
        assert_eq!(probe.settled().unwrap().as_str(), "application/pdf");
    }

    #[test]
    fn an_empty_file_is_empty_text() {
        assert_eq!(ContentProbe::default().finish(None).as_str(), "text/plain");
    }

    #[test]
    fn names_keep_their_last_path_segment_only() {
        assert_eq!(FileName::sanitize("a/b\\c.txt").as_str(), "c.txt");
        assert_eq!(FileName::sanitize("dir/").as_str(), "file");
        assert_eq!(
            FileName::sanitize("  spaced  .txt ").as_str(),
            "spaced  .txt"
        );
    }

    #[test]
    fn blob_keys_reject_other_spellings() {
        let key = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
        let upper = key.to_string().to_uppercase();
        assert!(upper.parse::<BlobKey>().is_err());
        assert!(format!("{key}/x").parse::<BlobKey>().is_err());
    }
}
