//! Events of project changes: where they are kept (driven: [`EventLog`]),
//! how every instance hears that one was committed (driven: [`EventFeed`]),
//! the tickets that let a browser open a stream (driven:
//! [`TicketRepository`]), and what an inbound adapter asks for (driving:
//! [`EventService`]).

use crate::{Actor, RepositoryError, ServiceError};
use async_trait::async_trait;
use futures_util::stream::BoxStream;
use std::{sync::Arc, time::Duration};
use trellis_domain::{Event, EventId, Timestamp, TokenDigest, UserId};

/// Where an owner's stream of events stands in the [`EventLog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The owner's latest committed event ([`EventId::ZERO`] if none is
    /// kept).
    pub latest: EventId,
    /// The highest id ever swept: every event after it is still kept, some
    /// at or before it may not be.
    pub swept_through: EventId,
}

/// The events of every owner, written in the transaction of the change
/// each describes (so none is kept for a change that rolled back, and no
/// change commits without one), kept for a while, then swept.
///
/// An owner's events commit in the order of their ids: once an event is
/// visible, every earlier event of its owner is too.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// For each `(owner, after)` cursor, the owner's events with an id
    /// greater than `after`; all of them in id order, at most `limit`.
    async fn after(
        &self,
        cursors: &[(UserId, EventId)],
        limit: usize,
    ) -> Result<Vec<Event>, RepositoryError>;

    /// Where `owner`'s events stand now.
    async fn position(&self, owner: UserId) -> Result<Position, RepositoryError>;

    /// Deletes the events that happened before `before`, raising
    /// [`Position::swept_through`]; how many.
    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError>;
}

/// A notice of the [`EventFeed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventNotice {
    /// An event of this owner was committed, on some instance: read the
    /// [`EventLog`] after what was delivered to the owner's streams.
    Committed {
        /// Whose it is.
        owner: UserId,
    },
    /// Notices may have been missed (the feed has just (re)connected):
    /// read the [`EventLog`] after what was delivered.
    Resync,
}

/// Tells every instance whose events were written, soon after they commit.
///
/// A feed may miss a notice without reconnecting (a notice sent after the
/// commit by the instance that wrote is lost if that instance stops in
/// between or cannot send it; a write made outside Trellis has none): its
/// subscriber also reads the [`EventLog`] after what it delivered at an
/// interval of its own.
pub trait EventFeed: Send + Sync + 'static {
    /// The notices from now on. The first is [`EventNotice::Resync`], and
    /// another follows every reconnection, so that nothing committed while
    /// the feed was down is missed.
    fn subscribe(&self) -> BoxStream<'static, EventNotice>;

    /// Whether this instance has streams open. A feed may stop hearing of
    /// commits while it has none; when it hears again, its next notice is
    /// [`EventNotice::Resync`], so that what committed meanwhile is read
    /// from the log. Ignored by default.
    fn watch(&self, _streams_open: bool) {}
}

/// Single-use tickets that open one stream: kept as digests, for a short
/// while.
#[async_trait]
pub trait TicketRepository: Send + Sync + 'static {
    /// Keeps a ticket of `actor` until `expires_at`.
    async fn issue(
        &self,
        digest: TokenDigest,
        actor: &Actor,
        expires_at: Timestamp,
    ) -> Result<(), RepositoryError>;

    /// Spends the ticket if it is kept and unexpired at `now`, and answers
    /// whose it was. MUST be atomic: of redemptions of one ticket racing
    /// each other, at most one answers `Some`.
    async fn redeem(
        &self,
        digest: TokenDigest,
        now: Timestamp,
    ) -> Result<Option<Actor>, RepositoryError>;

    /// Forgets the tickets that expired before `before`; how many.
    async fn sweep_tickets(&self, before: Timestamp) -> Result<u64, RepositoryError>;
}

/// Why a stream of events ends, short of the client leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The session the stream was opened in has ended.
    SessionEnded,
    /// The client fell more than the allowed number of events behind.
    TooSlow,
    /// Storage failed while the stream read it.
    Unavailable,
}

/// What a stream of events delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An event of the caller's projects.
    Event(Arc<Event>),
    /// The position asked to resume after is no longer kept (or was never
    /// the caller's): reload, the live events follow.
    Resync,
    /// The stream ends now; nothing follows.
    End(StreamEnd),
}

/// A ticket as its caller receives it.
#[derive(Debug, Clone)]
pub struct IssuedTicket {
    /// The secret, for the client only (only its digest is kept).
    pub secret: String,
    /// How long it can be redeemed.
    pub expires_in: Duration,
}

/// Streams of the changes to a caller's projects.
#[async_trait]
pub trait EventService: Send + Sync + 'static {
    /// Opens a stream of the caller's events: those after `after` first (or
    /// one [`Delivery::Resync`] if they are no longer all kept), then the
    /// live ones, across every instance. [`ServiceError::TooManyStreams`]
    /// past the streams a user may have open on this instance. Dropping the
    /// stream closes it.
    async fn subscribe(
        &self,
        actor: &Actor,
        after: Option<EventId>,
    ) -> Result<BoxStream<'static, Delivery>, ServiceError>;

    /// A single-use ticket that authenticates one stream as the caller.
    async fn issue_ticket(&self, actor: &Actor) -> Result<IssuedTicket, ServiceError>;

    /// Spends a ticket; whose it was. [`ServiceError::InvalidTicket`] if it
    /// is unknown, spent or expired.
    async fn redeem_ticket(&self, secret: &str) -> Result<Actor, ServiceError>;
}
