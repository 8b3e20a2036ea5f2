//! The fan-out on one instance: every live stream of an owner gets that
//! owner's events, in order, through a bounded queue of its own.
//!
//! The hub remembers, per owner with open streams, the last event it
//! delivered. A notice that the owner's events were written, a resync
//! after the feed reconnected, and every [`RECHECK`] on its own make it
//! read the log *after that event*: whatever notices were missed, every
//! committed event of the owner is delivered once, in id order, which is
//! commit order.

use futures_util::{FutureExt, StreamExt};
use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    sync::{Arc, OnceLock},
    time::Duration,
};
use tokio::sync::{
    Mutex, Notify,
    broadcast::{self, error::RecvError},
    mpsc::{self, error::TrySendError},
    watch,
};
use trellis_domain::{Event, EventId, SessionId, UserId};
use trellis_ports::{EventFeed, EventLog, EventNotice, RepositoryError, Revocations, StreamEnd};

/// Events queued for one stream before it is closed as too slow.
pub(crate) const MAX_BEHIND: usize = 1000;
/// Events read from the log at once.
pub(crate) const PAGE: usize = 500;
/// Notices taken together into one read of the log.
const BATCH: usize = 1024;
/// How long after a failed read of the log it is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How often the log is read for every stream without a notice: the
/// longest a missed notice delays an event (see [`EventFeed`]).
const RECHECK: Duration = Duration::from_secs(5);
/// How often the streams that have gone are forgotten.
const PRUNE: Duration = Duration::from_secs(30);

/// Tells one stream to end, and why (the first reason given wins).
#[derive(Debug, Default)]
pub(crate) struct Kick {
    reason: OnceLock<StreamEnd>,
    notify: Notify,
}

impl Kick {
    pub(crate) fn kick(&self, why: StreamEnd) {
        if self.reason.set(why).is_ok() {
            self.notify.notify_one();
        }
    }

    pub(crate) fn reason(&self) -> Option<StreamEnd> {
        self.reason.get().copied()
    }

    /// Completes when the stream is told to end.
    pub(crate) async fn kicked(&self) -> StreamEnd {
        loop {
            if let Some(why) = self.reason() {
                return why;
            }
            // A kick between the check and here leaves a permit: no wait.
            self.notify.notified().await;
        }
    }
}

#[derive(Debug)]
struct Subscriber {
    session: Option<SessionId>,
    events: mpsc::Sender<Arc<Event>>,
    kick: Arc<Kick>,
}

#[derive(Debug)]
struct Owner {
    last: EventId,
    subscribers: Vec<Subscriber>,
}

impl Owner {
    /// Queues `event` for every stream; a full queue closes its stream.
    fn dispatch(&mut self, event: &Arc<Event>) {
        self.last = event.id;
        self.subscribers.retain(
            |subscriber| match subscriber.events.try_send(Arc::clone(event)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    subscriber.kick.kick(StreamEnd::TooSlow);
                    false
                }
                Err(TrySendError::Closed(_)) => false,
            },
        );
    }
}

/// A stream's place in the hub.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Its queue of live events.
    pub(crate) events: mpsc::Receiver<Arc<Event>>,
    /// Tells it to end.
    pub(crate) kick: Arc<Kick>,
    /// Every event of the owner after this one will be queued.
    pub(crate) last: EventId,
}

pub(crate) struct Hub {
    log: Arc<dyn EventLog>,
    revocations: Arc<dyn Revocations>,
    owners: Mutex<HashMap<UserId, Owner>>,
    /// Whether any stream is open (or closed since the last prune): what
    /// the feed is told to [`watch`](EventFeed::watch).
    watching: watch::Sender<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hub")
    }
}

impl Hub {
    pub(crate) fn new(log: Arc<dyn EventLog>, revocations: Arc<dyn Revocations>) -> Self {
        Self {
            log,
            revocations,
            owners: Mutex::default(),
            watching: watch::Sender::new(false),
        }
    }

    /// Adds a stream of `owner`'s events, opened in `session`.
    ///
    /// An owner new to the hub starts after its latest committed event,
    /// read under the hub's lock, so that no event falls between that
    /// read and the notices that follow.
    pub(crate) async fn join(
        &self,
        owner: UserId,
        session: Option<SessionId>,
    ) -> Result<Joined, RepositoryError> {
        let mut owners = self.owners.lock().await;
        // A feed that starts watching now resyncs once it hears again, and
        // the resync reads after the position read below: nothing that
        // commits in between is missed.
        self.watching
            .send_if_modified(|open| !std::mem::replace(open, true));
        if let Some(known) = owners.get_mut(&owner) {
            known.subscribers.retain(|s| !s.events.is_closed());
            if known.subscribers.is_empty() {
                // Its `last` went stale while nobody listened.
                owners.remove(&owner);
            }
        }
        let known = match owners.entry(owner) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(vacant) => vacant.insert(Owner {
                last: self.log.position(owner).await?.latest,
                subscribers: Vec::new(),
            }),
        };
        let (events, queue) = mpsc::channel(MAX_BEHIND);
        let kick = Arc::new(Kick::default());
        // A session that ended before its stream joined: the notice is past.
        if session.is_some_and(|session| self.revocations.is_revoked(session)) {
            kick.kick(StreamEnd::SessionEnded);
        }
        known.subscribers.push(Subscriber {
            session,
            events,
            kick: Arc::clone(&kick),
        });
        Ok(Joined {
            events: queue,
            kick,
            last: known.last,
        })
    }

    /// Delivers what `feed` announces until `stop` completes, and closes
    /// the streams of sessions as `endings` names them.
    pub(crate) async fn follow(
        &self,
        feed: &dyn EventFeed,
        mut endings: broadcast::Receiver<SessionId>,
        stop: impl Future<Output = ()>,
    ) {
        let mut notices = feed.subscribe();
        let mut watching = self.watching.subscribe();
        feed.watch(*watching.borrow_and_update());
        let mut retry = tokio::time::interval(RETRY);
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune = tokio::time::interval(PRUNE);
        let (mut stale, mut endings_open) = (false, true);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                notice = notices.next() => {
                    let Some(notice) = notice else { return };
                    let mut batch = vec![notice];
                    while batch.len() < BATCH {
                        match notices.next().now_or_never() {
                            Some(Some(notice)) => batch.push(notice),
                            _ => break,
                        }
                    }
                    let resync = stale || batch.contains(&EventNotice::Resync);
                    stale = !self.catch_up(if resync { None } else { Some(&batch) }).await;
                }
                _ = retry.tick(), if stale => stale = !self.catch_up(None).await,
                _ = recheck.tick() => stale = !self.catch_up(None).await,
                Ok(()) = watching.changed() => feed.watch(*watching.borrow_and_update()),
                ended = endings.recv(), if endings_open => match ended {
                    Ok(session) => self.end_sessions(|ended| ended == session).await,
                    Err(RecvError::Lagged(_)) => {
                        let revocations = Arc::clone(&self.revocations);
                        self.end_sessions(|ended| revocations.is_revoked(ended)).await;
                    }
                    Err(RecvError::Closed) => endings_open = false,
                },
                _ = prune.tick() => self.prune().await,
            }
        }
    }

    /// Reads the log after the last delivered event of the owners that
    /// `notices` name (of every owner, without notices), and delivers it;
    /// whether the log answered.
    async fn catch_up(&self, notices: Option<&[EventNotice]>) -> bool {
        let mut owners = self.owners.lock().await;
        let wanted: Option<HashSet<UserId>> = notices.map(|notices| {
            notices
                .iter()
                .filter_map(|notice| match notice {
                    EventNotice::Committed { owner } => {
                        owners.contains_key(owner).then_some(*owner)
                    }
                    EventNotice::Resync => None,
                })
                .collect()
        });
        loop {
            let cursors: Vec<(UserId, EventId)> = owners
                .iter()
                .filter(|(owner, known)| {
                    !known.subscribers.is_empty()
                        && wanted.as_ref().is_none_or(|wanted| wanted.contains(*owner))
                })
                .map(|(owner, known)| (*owner, known.last))
                .collect();
            if cursors.is_empty() {
                return true;
            }
            let events = match self.log.after(&cursors, PAGE).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, "cannot read events to deliver; retrying");
                    return false;
                }
            };
            let full = events.len() == PAGE;
            for event in events {
                if let Some(known) = owners.get_mut(&event.owner).filter(|k| k.last < event.id) {
                    known.dispatch(&Arc::new(event));
                }
            }
            if !full {
                return true;
            }
        }
    }

    /// Ends the streams whose session `ended` says has.
    async fn end_sessions(&self, ended: impl Fn(SessionId) -> bool) {
        let mut owners = self.owners.lock().await;
        for known in owners.values_mut() {
            known.subscribers.retain(|subscriber| {
                let over = subscriber.session.is_some_and(&ended);
                if over {
                    subscriber.kick.kick(StreamEnd::SessionEnded);
                }
                !over
            });
        }
    }

    /// Forgets the streams that have gone, and owners without any; with
    /// none left, the feed may stop watching.
    async fn prune(&self) {
        let mut owners = self.owners.lock().await;
        owners.retain(|_, known| {
            known.subscribers.retain(|s| !s.events.is_closed());
            !known.subscribers.is_empty()
        });
        if owners.is_empty() {
            self.watching
                .send_if_modified(|open| std::mem::replace(open, false));
        }
    }
}
