//! Streams of project changes: a hub per instance fanning the events that
//! any instance commits out to the local streams of their owner, resuming
//! from the log, and single-use tickets for browsers.

mod hub;
mod stream;

use crate::sessions::digest_of;
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::stream::BoxStream;
use hub::Hub;
use std::{sync::Arc, time::Duration};
use stream::{OpenStreams, Start, Subscription};
use tokio::sync::broadcast;
use trellis_domain::{EventId, SessionId};
use trellis_ports::{
    Actor, Delivery, EventFeed, EventLog, EventService, IssuedTicket, Revocations, ServiceError,
    TicketRepository,
};

/// How long a stream ticket can be redeemed.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// The [`EventService`] of Trellis.
pub struct EventsService {
    log: Arc<dyn EventLog>,
    tickets: Arc<dyn TicketRepository>,
    revocations: Arc<dyn Revocations>,
    hub: Arc<Hub>,
    open: Arc<OpenStreams>,
}

impl std::fmt::Debug for EventsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsService")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl EventsService {
    /// Streams of the events in `log`, at most `max_per_user` open per user
    /// on this instance, closed when `revocations` says their session
    /// ended; tickets kept in `tickets`.
    pub fn new(
        log: Arc<dyn EventLog>,
        tickets: Arc<dyn TicketRepository>,
        revocations: Arc<dyn Revocations>,
        max_per_user: usize,
    ) -> Self {
        Self {
            hub: Arc::new(Hub::new(Arc::clone(&log), Arc::clone(&revocations))),
            log,
            tickets,
            revocations,
            open: OpenStreams::new(max_per_user),
        }
    }

    /// Delivers the events `feed` announces to the open streams, and closes
    /// those of the sessions `endings` names, until `stop` completes.
    pub async fn follow(
        &self,
        feed: &dyn EventFeed,
        endings: broadcast::Receiver<SessionId>,
        stop: impl Future<Output = ()>,
    ) {
        self.hub.follow(feed, endings, stop).await;
    }

    /// Where a stream resuming after `after` starts.
    async fn start(&self, actor: &Actor, after: Option<EventId>) -> Result<Start, ServiceError> {
        let Some(after) = after else {
            return Ok(Start::Live);
        };
        let position = self.log.position(actor.id).await?;
        Ok(
            if after < position.swept_through || after > position.latest {
                Start::Resync
            } else {
                Start::After(after)
            },
        )
    }
}

#[async_trait]
impl EventService for EventsService {
    async fn subscribe(
        &self,
        actor: &Actor,
        after: Option<EventId>,
    ) -> Result<BoxStream<'static, Delivery>, ServiceError> {
        let slot = self
            .open
            .open(actor.id)
            .ok_or(ServiceError::TooManyStreams)?;
        let joined = self.hub.join(actor.id, actor.session).await?;
        let start = self.start(actor, after).await?;
        Ok(Subscription::new(actor.id, Arc::clone(&self.log), joined, start, slot).into_stream())
    }

    async fn issue_ticket(&self, actor: &Actor) -> Result<IssuedTicket, ServiceError> {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret)
            .map_err(|error| ServiceError::Internal(Box::new(error)))?;
        let secret = URL_SAFE_NO_PAD.encode(secret);
        let expires_at = time::OffsetDateTime::now_utc() + TICKET_TTL;
        self.tickets
            .issue(digest_of(&secret), actor, expires_at)
            .await?;
        Ok(IssuedTicket {
            secret,
            expires_in: TICKET_TTL,
        })
    }

    async fn redeem_ticket(&self, secret: &str) -> Result<Actor, ServiceError> {
        let actor = self
            .tickets
            .redeem(digest_of(secret), time::OffsetDateTime::now_utc())
            .await?
            .ok_or(ServiceError::InvalidTicket)?;
        if actor
            .session
            .is_some_and(|session| self.revocations.is_revoked(session))
        {
            return Err(ServiceError::InvalidTicket);
        }
        Ok(actor)
    }
}
