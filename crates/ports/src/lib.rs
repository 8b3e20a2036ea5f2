//! The edge of the Trellis core, as traits.
//!
//! *Driven* ports are what the core needs from the outside world and the
//! adapters implement: [`UserRepository`], [`ProjectRepository`],
//! [`PasswordHasher`], [`Clock`], [`StoreHealth`], [`CounterStore`],
//! [`SessionRepository`], [`RevocationFeed`], [`EventLog`], [`EventFeed`],
//! [`TicketRepository`], [`IdempotencyKeys`], [`BlobStore`] and
//! [`AttachmentRepository`]. *Driving* ports are what
//! the outside world asks of the core and `trellis-services` implements:
//! [`AccountService`], [`ProjectService`], [`AdminService`],
//! [`SessionService`], [`Revocations`], [`EventService`], [`HealthService`],
//! [`AttachmentService`] and [`RequestLimiter`].
//!
//! Every trait is object-safe (`#[async_trait]`) and bounded by
//! `Send + Sync + 'static`, because the binary wires one concrete
//! implementation of each into an `Arc<dyn Trait>` at start and shares it
//! across actix workers for the life of the process.

#![warn(missing_docs)]

mod attachment;
mod clock;
mod error;
mod event;
mod health;
mod idempotency;
mod limits;
mod listing;
mod password;
mod project;
mod service;
mod session;
mod user;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use attachment::{
    Added, AttachmentRepository, AttachmentService, BlobError, BlobStore, ByteRange, ByteStream,
    StoredBlob, Upload,
};
pub use clock::Clock;
pub use error::{BoxError, RepositoryError};
pub use event::{
    Delivery, EventFeed, EventLog, EventNotice, EventService, IssuedTicket, Position, StreamEnd,
    TicketRepository,
};
pub use health::{HealthService, PoolStats, StoreHealth};
pub use idempotency::{CLAIM_LEASE, Claim, ClaimToken, IdempotencyKeys, KEY_RETENTION};
pub use limits::{
    CounterError, CounterStore, Hit, LimiterStats, RequestKind, RequestLimiter, Verdict,
};
pub use listing::{ListingWindow, ProjectList, ProjectListing};
pub use password::{HashError, PasswordHasher, Verification};
pub use project::{ProjectRepository, Written};
pub use service::{
    AccountService, Actor, AdminService, Created, ProjectService, Registration, Resource,
    ServiceError,
};
pub use session::{
    Grant, NewSession, RevocationFeed, RevocationNotice, Revocations, Revoked, Rotation,
    SessionRepository, SessionService,
};
pub use user::UserRepository;
