//! Events of project changes, recorded under the same lock as the change
//! (so in its "transaction"), the in-process feed that announces them, and
//! stream tickets.

use crate::store::{InMemoryStore, State};
use async_trait::async_trait;
use futures_util::{
    StreamExt,
    stream::{self, BoxStream},
};
use std::collections::{HashMap, VecDeque};
use tokio::sync::broadcast::error::RecvError;
use trellis_domain::{
    Event, EventId, EventKind, Project, ProjectId, Timestamp, TokenDigest, UserId,
};
use trellis_ports::{
    Actor, EventFeed, EventLog, EventNotice, Position, RepositoryError, TicketRepository,
};

#[derive(Debug, Default)]
pub(crate) struct Events {
    /// In id order.
    log: VecDeque<Event>,
    last_id: i64,
    swept_through: EventId,
    tickets: HashMap<TokenDigest, (Actor, Timestamp)>,
}

impl InMemoryStore {
    /// Records that `kind` happened to `project_id` of `owner` (leaving it
    /// as `project`), and announces it, both under the caller's write lock:
    /// notices go out in the order the changes were made.
    pub(crate) fn record(
        &self,
        state: &mut State,
        kind: EventKind,
        owner: UserId,
        project_id: ProjectId,
        project: Option<Project>,
    ) {
        let at = state.stamp();
        let events = &mut state.events;
        events.last_id += 1;
        let id = EventId::new(events.last_id).unwrap_or_default();
        events.log.push_back(Event {
            id,
            owner,
            kind,
            project_id,
            project,
            at,
        });
        // No subscriber is no one to tell.
        let _ = self.event_notices.send(EventNotice::Committed { owner });
    }
}

#[async_trait]
impl EventLog for InMemoryStore {
    async fn after(
        &self,
        cursors: &[(UserId, EventId)],
        limit: usize,
    ) -> Result<Vec<Event>, RepositoryError> {
        let cursors: HashMap<UserId, EventId> = cursors.iter().copied().collect();
        let Some(&lowest) = cursors.values().min() else {
            return Ok(Vec::new());
        };
        let state = self.read();
        let log = &state.events.log;
        let start = log.partition_point(|event| event.id <= lowest);
        Ok(log
            .range(start..)
            .filter(|event| {
                cursors
                    .get(&event.owner)
                    .is_some_and(|after| event.id > *after)
            })
            .take(limit)
            .cloned()
            .collect())
    }

    async fn position(&self, owner: UserId) -> Result<Position, RepositoryError> {
        let state = self.read();
        let events = &state.events;
        Ok(Position {
            latest: events
                .log
                .iter()
                .rev()
                .find(|event| event.owner == owner)
                .map_or(EventId::ZERO, |event| event.id),
            swept_through: events.swept_through,
        })
    }

    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let mut state = self.write();
        let events = &mut state.events;
        let mut swept = 0;
        while events.log.front().is_some_and(|event| event.at < before) {
            if let Some(event) = events.log.pop_front() {
                events.swept_through = events.swept_through.max(event.id);
                swept += 1;
            }
        }
        Ok(swept)
    }
}

impl EventFeed for InMemoryStore {
    fn subscribe(&self) -> BoxStream<'static, EventNotice> {
        let notices = stream::unfold(self.event_notices.subscribe(), |mut notices| async move {
            match notices.recv().await {
                Ok(notice) => Some((notice, notices)),
                // A subscriber that fell behind lost notices: catch up.
                Err(RecvError::Lagged(_)) => Some((EventNotice::Resync, notices)),
                Err(RecvError::Closed) => None,
            }
        });
        stream::once(async { EventNotice::Resync })
            .chain(notices)
            .boxed()
    }
}

#[async_trait]
impl TicketRepository for InMemoryStore {
    async fn issue(
        &self,
        digest: TokenDigest,
        actor: &Actor,
        expires_at: Timestamp,
    ) -> Result<(), RepositoryError> {
        let mut state = self.write();
        if !state.users.contains(actor.id) {
            return Err(RepositoryError::ReferenceMissing {
                constraint: "event_tickets_user_id_fkey".into(),
            });
        }
        state.events.tickets.insert(digest, (*actor, expires_at));
        Ok(())
    }

    async fn redeem(
        &self,
        digest: TokenDigest,
        now: Timestamp,
    ) -> Result<Option<Actor>, RepositoryError> {
        let mut state = self.write();
        Ok(state
            .events
            .tickets
            .remove(&digest)
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(actor, _)| actor))
    }

    async fn sweep_tickets(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let mut state = self.write();
        let tickets = &mut state.events.tickets;
        let count = tickets.len();
        tickets.retain(|_, (_, expires_at)| *expires_at >= before);
        Ok((count - tickets.len()) as u64)
    }
}
