//! The in-memory store of Trellis: [`UserRepository`], [`ProjectRepository`]
//! and [`StoreHealth`] over one lock-protected state, with the same semantics
//! as PostgreSQL (case-insensitive unique e-mail, newest-first ordering with
//! an id tie-break, status filter, totals, cascade delete, `updated_at`).
//!
//! It also keeps what is known of attachments
//! ([`AttachmentRepository`]): removing one, or deleting its project or its
//! project's owner, queues its blob for deletion under the same lock.
//!
//! It is what the server runs on when no database is configured (data is lost
//! on exit) and what the service and HTTP tests run on.
//!
//! [`MemoryCounters`] are the rate-limit counters of one instance (and every
//! instance's fallback when the shared store fails).
//!
//! [`UserRepository`]: trellis_ports::UserRepository
//! [`ProjectRepository`]: trellis_ports::ProjectRepository
//! [`StoreHealth`]: trellis_ports::StoreHealth
//! [`AttachmentRepository`]: trellis_ports::AttachmentRepository

mod attachments;
mod counters;
mod events;
mod idempotency;
mod projects;
mod sessions;
mod store;
mod users;

pub use counters::{DEFAULT_COUNTER_CAPACITY, MemoryCounters};
pub use store::InMemoryStore;
