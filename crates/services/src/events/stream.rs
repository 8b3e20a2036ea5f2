//! One stream of an owner's events: the kept events after where the client
//! resumes first, then the live ones from the hub, each delivered once.

use super::hub::{Joined, PAGE};
use futures_util::stream::{self, BoxStream, StreamExt};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};
use trellis_domain::{Event, EventId, UserId};
use trellis_ports::{Delivery, EventLog, StreamEnd};

/// How many streams each user has open on this instance.
#[derive(Debug)]
pub(crate) struct OpenStreams {
    open: Mutex<HashMap<UserId, usize>>,
    max_per_user: usize,
}

impl OpenStreams {
    pub(crate) fn new(max_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::default(),
            max_per_user,
        })
    }

    /// A slot for one more stream of `user`, if it has fewer than allowed.
    pub(crate) fn open(self: &Arc<Self>, user: UserId) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user).or_default();
        if *count >= self.max_per_user {
            return None;
        }
        *count += 1;
        Some(Slot {
            streams: Arc::clone(self),
            user,
        })
    }
}

/// One open stream, counted until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    streams: Arc<OpenStreams>,
    user: UserId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .streams
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// With the live events.
    Live,
    /// With one resync, then the live events.
    Resync,
    /// With the kept events after this one.
    After(EventId),
}

pub(crate) struct Subscription {
    owner: UserId,
    log: Arc<dyn EventLog>,
    joined: Joined,
    /// The last event delivered (or skipped as before the start).
    last_sent: EventId,
    resync: bool,
    backlog: Option<Backlog>,
    ended: bool,
    _slot: Slot,
}

struct Backlog {
    cursor: EventId,
    page: VecDeque<Event>,
    exhausted: bool,
}

impl Subscription {
    pub(crate) fn new(
        owner: UserId,
        log: Arc<dyn EventLog>,
        joined: Joined,
        start: Start,
        slot: Slot,
    ) -> Self {
        let (last_sent, backlog) = match start {
            Start::After(after) => (
                after,
                Some(Backlog {
                    cursor: after,
                    page: VecDeque::new(),
                    exhausted: false,
                }),
            ),
            Start::Live | Start::Resync => (joined.last, None),
        };
        Self {
            owner,
            log,
            joined,
            last_sent,
            resync: start == Start::Resync,
            backlog,
            ended: false,
            _slot: slot,
        }
    }

    pub(crate) fn into_stream(self) -> BoxStream<'static, Delivery> {
        stream::unfold(self, |mut subscription| async move {
            let delivery = subscription.next().await?;
            Some((delivery, subscription))
        })
        .boxed()
    }

    fn end(&mut self, why: StreamEnd) -> Option<Delivery> {
        self.ended = true;
        Some(Delivery::End(why))
    }

    fn deliver(&mut self, event: Arc<Event>) -> Option<Delivery> {
        self.last_sent = event.id;
        Some(Delivery::Event(event))
    }

    async fn next(&mut self) -> Option<Delivery> {
        if self.ended {
            return None;
        }
        if let Some(why) = self.joined.kick.reason() {
            return self.end(why);
        }
        if std::mem::take(&mut self.resync) {
            return Some(Delivery::Resync);
        }
        if let Some(event) = self.next_kept().await {
            return match event {
                Ok(event) => self.deliver(Arc::new(event)),
                Err(why) => self.end(why),
            };
        }
        loop {
            tokio::select! {
                biased;
                why = self.joined.kick.kicked() => return self.end(why),
                event = self.joined.events.recv() => match event {
                    Some(event) if event.id > self.last_sent => return self.deliver(event),
                    Some(_) => {}
                    // The hub let go of this stream: it has said why.
                    None => {
                        let why = self.joined.kick.reason().unwrap_or(StreamEnd::Unavailable);
                        return self.end(why);
                    }
                },
            }
        }
    }

    /// The next kept event not yet delivered, while replaying.
    async fn next_kept(&mut self) -> Option<Result<Event, StreamEnd>> {
        loop {
            let backlog = self.backlog.as_mut()?;
            if let Some(event) = backlog.page.pop_front() {
                if event.id > self.last_sent {
                    return Some(Ok(event));
                }
                continue;
            }
            if backlog.exhausted {
                self.backlog = None;
                return None;
            }
            match self.log.after(&[(self.owner, backlog.cursor)], PAGE).await {
                Ok(page) => {
                    backlog.exhausted = page.len() < PAGE;
                    if let Some(last) = page.last() {
                        backlog.cursor = last.id;
                    }
                    backlog.page = page.into();
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read kept events for a stream");
                    return Some(Err(StreamEnd::Unavailable));
                }
            }
        }
    }
}
