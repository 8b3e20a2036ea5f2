//! The business core of Trellis: accounts, their projects, and the rules that
//! keep both valid.
//!
//! Every value object here *parses* its input: once you hold an [`Email`], a
//! [`ProjectName`] or a [`Budget`], it is valid, so code past the edge of the
//! system never re-checks. Parsing failures are [`Violation`]s, which an
//! adapter collects into one report listing every failing field.
//!
//! The crate has no I/O, no async and no framework: other Rust services can
//! link it to share the same rules.
//!
//! ```
//! use trellis_domain::{Budget, Email, ProjectName};
//!
//! let email = Email::parse("  Ada@Example.COM ").unwrap();
//! assert_eq!(email.as_str(), "ada@example.com");
//!
//! let name = ProjectName::parse("  Analytical engine ").unwrap();
//! assert_eq!(name.as_str(), "Analytical engine");
//!
//! let budget = Budget::parse("1250.5").unwrap();
//! assert_eq!(budget.cents(), 125_050);
//! assert_eq!(budget.to_string(), "1250.50");
//! ```

#![warn(missing_docs)]

mod attachment;
mod draft;
mod email;
mod event;
mod id;
mod idempotency;
mod listing;
mod page;
mod password;
mod project;
mod session;
mod user;
mod version;
mod violation;

pub use attachment::{
    Attachment, BlobKey, ContentProbe, FileName, MediaType, Sha256Digest, TypeRejected,
};
pub use draft::Draft;
pub use email::Email;
pub use event::{Event, EventId, EventKind};
pub use id::{AttachmentId, ProjectId, SessionId, UserId};
pub use idempotency::{IdempotencyKey, InvalidIdempotencyKey, RequestFingerprint};
pub use listing::{
    Direction, Position, ProjectFilter, ProjectSort, SearchQuery, SortKey, SortValue, StatusSet,
};
pub use page::{Page, PageRequest};
pub use password::{Password, PasswordHash};
pub use project::{
    Budget, Change, Deadline, Description, NewProject, Project, ProjectName, ProjectPatch,
    ProjectStatus,
};
pub use session::{ClientInfo, RefreshToken, Session, TokenDigest, UserAgent};
pub use user::{FullName, NewUser, ProfilePatch, Role, User};
pub use version::{Precondition, Version};
pub use violation::{Violation, Violations};

/// A point in time, always handled in UTC.
pub type Timestamp = time::OffsetDateTime;
