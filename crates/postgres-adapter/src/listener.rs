//! `LISTEN` on one dedicated connection per instance, outside the pool:
//! notifications are delivered only to the session that listens, and a
//! transaction-pooling PgBouncer cannot keep one (give the listener a
//! direct URL: `DATABASE_LISTEN_URL`).
//!
//! Notifications carry ids only, and one sent while the listener is
//! reconnecting is lost: every (re)connection is announced as
//! [`Heard::Reconnected`], after which each subscriber rebuilds what it
//! keeps from the tables. A channel may be listened on only while it is
//! wanted ([`Listen::WhileWanted`]); it too is announced as reconnected
//! whenever listening on it starts again.

use crate::{ConnectionString, PgError, tls};
use futures_util::{
    StreamExt,
    stream::{self, BoxStream},
};
use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};
use tokio::{
    sync::{broadcast, watch},
    task::JoinHandle,
};
use tokio_postgres::{
    AsyncMessage, Socket,
    tls::{MakeTlsConnect, TlsConnect},
};
use trellis_ports::{EventFeed, EventNotice, RevocationFeed, RevocationNotice, Revoked};

/// The channel the sessions trigger (migration V2) notifies.
pub const SESSION_ENDED: &str = "trellis_session_ended";
/// The channel each instance notifies after its project writes (the
/// `announce` module): `"<id> <owner>"`, of which only the owner counts.
pub const EVENT_COMMITTED: &str = "trellis_event";

/// Notices kept for a subscriber that falls behind, before it must resync.
const BACKLOG: usize = 4096;
/// How often the connection is asked whether it still answers.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// When the listener listens on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// From the start, always.
    Always,
    /// While [`PgListener::want`] says so (not at the start).
    WhileWanted,
}

/// The channels to listen on now.
type Wanted = watch::Sender<BTreeSet<&'static str>>;

/// What the listener hears on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A notification's payload.
    Notice(String),
    /// The listener (re)connected: notices may have been missed.
    Reconnected,
}

/// The listening connection, kept up (reconnecting with backoff) by a
/// background task until [`PgListener::stop`].
#[derive(Debug)]
pub struct PgListener {
    channels: Arc<HashMap<&'static str, broadcast::Sender<Heard>>>,
    wanted: Arc<Wanted>,
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl PgListener {
    /// Listens on `channels`, each as its [`Listen`] says, over its own
    /// connection to `connection`, giving up on a connection attempt after
    /// `connect_timeout`. Must be called within a Tokio runtime.
    pub fn start(
        connection: &ConnectionString,
        connect_timeout: Duration,
        channels: &[(&'static str, Listen)],
    ) -> Result<Self, PgError> {
        let mut config = connection.driver_config();
        config
            .connect_timeout(connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("trellis-listener");
        }
        let senders: Arc<HashMap<_, _>> = Arc::new(
            channels
                .iter()
                .map(|(channel, _)| (*channel, broadcast::channel(BACKLOG).0))
                .collect(),
        );
        let wanted = Arc::new(Wanted::new(
            channels
                .iter()
                .filter(|(_, listen)| *listen == Listen::Always)
                .map(|(channel, _)| *channel)
                .collect(),
        ));
        let channels = Channels {
            heard: Arc::clone(&senders),
            wanted: Arc::clone(&wanted),
        };
        let (stop, stopped) = watch::channel(false);
        let task = match tls::connector(connection)? {
            Some(tls) => tokio::spawn(keep_listening(config, tls, channels, stopped)),
            None => tokio::spawn(keep_listening(
                config,
                tokio_postgres::NoTls,
                channels,
                stopped,
            )),
        };
        Ok(Self {
            channels: senders,
            wanted,
            stop,
            task: std::sync::Mutex::new(Some(task)),
        })
    }

    /// What is heard on `channel` from now on (nothing if it was not one of
    /// those given at start).
    pub fn hear(&self, channel: &str) -> BoxStream<'static, Heard> {
        let Some(sender) = self.channels.get(channel) else {
            return stream::empty().boxed();
        };
        stream::unfold(sender.subscribe(), |mut heard| async move {
            match heard.recv().await {
                Ok(notice) => Some((notice, heard)),
                Err(broadcast::error::RecvError::Lagged(_)) => Some((Heard::Reconnected, heard)),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
        .boxed()
    }

    /// Starts or stops listening on `channel`, one of those given at start
    /// (anything else is ignored).
    pub fn want(&self, channel: &'static str, wanted: bool) {
        if !self.channels.contains_key(channel) {
            return;
        }
        self.wanted.send_if_modified(|channels| {
            if wanted {
                channels.insert(channel)
            } else {
                channels.remove(channel)
            }
        });
    }

    /// Stops listening and closes the connection.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl RevocationFeed for PgListener {
    fn subscribe(&self) -> BoxStream<'static, RevocationNotice> {
        let notices = self.hear(SESSION_ENDED).filter_map(|heard| async move {
            match heard {
                Heard::Reconnected => Some(RevocationNotice::Resync),
                Heard::Notice(payload) => payload.parse::<uuid::Uuid>().ok().map(|id| {
                    RevocationNotice::Revoked(Revoked {
                        id: id.into(),
                        at: time::OffsetDateTime::now_utc(),
                    })
                }),
            }
        });
        stream::once(async { RevocationNotice::Resync })
            .chain(notices)
            .boxed()
    }
}

impl EventFeed for PgListener {
    fn subscribe(&self) -> BoxStream<'static, EventNotice> {
        let notices = self.hear(EVENT_COMMITTED).filter_map(|heard| async move {
            match heard {
                Heard::Reconnected => Some(EventNotice::Resync),
                Heard::Notice(payload) => Some(EventNotice::Committed {
                    owner: payload.rsplit(' ').next()?.parse().ok()?,
                }),
            }
        });
        stream::once(async { EventNotice::Resync })
            .chain(notices)
            .boxed()
    }

    /// Commits are heard of only while this instance has streams open.
    fn watch(&self, streams_open: bool) {
        self.want(EVENT_COMMITTED, streams_open);
    }
}

/// What the listening task serves: each channel's subscribers, and which
/// channels to listen on.
struct Channels {
    heard: Arc<HashMap<&'static str, broadcast::Sender<Heard>>>,
    wanted: Arc<Wanted>,
}

/// Connects, listens, forwards; on any loss, waits and does it again. One
/// warning per outage.
async fn keep_listening<T>(
    config: tokio_postgres::Config,
    tls: T,
    channels: Channels,
    mut stopped: watch::Receiver<bool>,
) where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let mut backoff = Duration::from_millis(100);
    let mut in_outage = false;
    loop {
        let lost = tokio::select! {
            lost = listen_once(&config, tls.clone(), &channels) => lost,
            _ = stopped.wait_for(|stopped| *stopped) => return,
        };
        if lost.connected {
            in_outage = false;
            backoff = Duration::from_millis(100);
        }
        if !in_outage {
            tracing::warn!(cause = %lost.cause, "database listener lost; reconnecting");
            in_outage = true;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stopped.wait_for(|stopped| *stopped) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// How a listening connection ended.
struct Lost {
    /// Whether it had connected and listened before.
    connected: bool,
    cause: String,
}

/// One connection's life, until it is lost.
async fn listen_once<T>(config: &tokio_postgres::Config, tls: T, channels: &Channels) -> Lost
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let never = |cause: String| Lost {
        connected: false,
        cause,
    };
    let (client, mut connection) = match config.connect(tls).await {
        Ok(connected) => connected,
        Err(error) => return never(crate::failure::describe(&error)),
    };
    let forward: HashMap<String, broadcast::Sender<Heard>> = channels
        .heard
        .iter()
        .map(|(channel, sender)| ((*channel).to_owned(), sender.clone()))
        .collect();
    let mut driver = tokio::spawn(async move {
        let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if let Some(sender) = forward.get(notification.channel()) {
                        let _ = sender.send(Heard::Notice(notification.payload().to_owned()));
                    }
                }
                Ok(_) => {}
                Err(error) => return crate::failure::describe(&error),
            }
        }
        "the connection closed".to_owned()
    });
    let mut wants = channels.wanted.subscribe();
    let mut listened = BTreeSet::new();
    let wanted = wants.borrow_and_update().clone();
    if let Err(cause) = relisten(&client, &mut listened, &wanted).await {
        driver.abort();
        return never(cause);
    }
    tracing::info!(channels = listened.len(), "database listener connected");
    // Every channel, listened on or not: nothing was heard before now.
    for sender in channels.heard.values() {
        let _ = sender.send(Heard::Reconnected);
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let cause = loop {
        tokio::select! {
            ended = &mut driver => break ended.unwrap_or_else(|join| join.to_string()),
            _ = heartbeat.tick() => {
                let answered = tokio::time::timeout(HEARTBEAT / 2, client.simple_query("")).await;
                if !matches!(answered, Ok(Ok(_))) {
                    driver.abort();
                    break "the connection stopped answering".to_owned();
                }
            }
            Ok(()) = wants.changed() => {
                let wanted = wants.borrow_and_update().clone();
                match relisten(&client, &mut listened, &wanted).await {
                    // Notices sent while a channel was not listened on are lost.
                    Ok(started) => {
                        for channel in started {
                            if let Some(sender) = channels.heard.get(channel) {
                                let _ = sender.send(Heard::Reconnected);
                            }
                        }
                    }
                    Err(cause) => {
                        driver.abort();
                        break cause;
                    }
                }
            }
        }
    };
    Lost {
        connected: true,
        cause,
    }
}

/// Makes the connection listen on the channels of `wanted`, not on the
/// others of `listened`, recording each change in `listened` as it is
/// made; the channels it started to listen on.
async fn relisten(
    client: &tokio_postgres::Client,
    listened: &mut BTreeSet<&'static str>,
    wanted: &BTreeSet<&'static str>,
) -> Result<Vec<&'static str>, String> {
    let started: Vec<_> = wanted.difference(listened).copied().collect();
    let stopped: Vec<_> = listened.difference(wanted).copied().collect();
    for (listen, channel) in started
        .iter()
        .map(|channel| (true, *channel))
        .chain(stopped.into_iter().map(|channel| (false, channel)))
    {
        let command = if listen { "LISTEN" } else { "UNLISTEN" };
        // The channel names are this crate's constants, never input.
        client
            .batch_execute(&format!("{command} {channel}"))
            .await
            .map_err(|error| crate::failure::describe(&error))?;
        if listen {
            listened.insert(channel);
        } else {
            listened.remove(channel);
        }
    }
    Ok(started)
}
