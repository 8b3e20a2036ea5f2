//! The storage behind the repositories: PostgreSQL when configured, the
//! in-memory store otherwise.

use std::{sync::Arc, time::Duration};
use trellis_memory::InMemoryStore;
use trellis_ports::{
    AttachmentRepository, EventFeed, EventLog, IdempotencyKeys, ProjectRepository, RevocationFeed,
    SessionRepository, StoreHealth, TicketRepository, UserRepository,
};
use trellis_postgres::{
    ConnectionString, EVENT_COMMITTED, Listen, PgError, PgListener, PgSettings, PgStore,
    SESSION_ENDED,
};

/// One store, seen through each port it implements.
#[derive(Clone)]
pub struct Store {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Projects.
    pub projects: Arc<dyn ProjectRepository>,
    /// Idempotency keys of creates.
    pub keys: Arc<dyn IdempotencyKeys>,
    /// What is known of attachments, and the blobs queued for deletion.
    pub attachments: Arc<dyn AttachmentRepository>,
    /// Sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Events of project changes.
    pub events: Arc<dyn EventLog>,
    /// Stream tickets.
    pub tickets: Arc<dyn TicketRepository>,
    /// Readiness and pool gauges.
    pub health: Arc<dyn StoreHealth>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<InMemoryStore>),
    Postgres(PgStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Postgres(_) => "Store(postgres)",
            Backend::Memory(_) => "Store(memory)",
        })
    }
}

/// How an instance hears of changes made on any instance: PostgreSQL's
/// `LISTEN` on a dedicated connection, or, in memory, the process itself.
pub struct Feeds {
    /// Ended sessions.
    pub revocations: Arc<dyn RevocationFeed>,
    /// Committed events.
    pub events: Arc<dyn EventFeed>,
    listener: Option<Arc<PgListener>>,
}

impl Feeds {
    /// Closes the listening connection, if any.
    pub async fn stop(&self) {
        if let Some(listener) = &self.listener {
            listener.stop().await;
        }
    }
}

impl Store {
    /// The in-memory store: data is lost on exit.
    pub fn memory() -> Self {
        let store = Arc::new(InMemoryStore::new());
        Self {
            users: store.clone(),
            projects: store.clone(),
            keys: store.clone(),
            attachments: store.clone(),
            sessions: store.clone(),
            events: store.clone(),
            tickets: store.clone(),
            health: store.clone(),
            backend: Backend::Memory(store),
        }
    }

    /// A pool on PostgreSQL, split for `workers` threads serving requests
    /// (see [`Store::serve_from_this_thread`]). Does not wait for the server
    /// to answer.
    pub fn postgres(settings: &PgSettings, workers: usize) -> Result<Self, PgError> {
        let store = PgStore::connect_sharded(settings.clone(), workers)?;
        let shared = Arc::new(store.clone());
        Ok(Self {
            users: shared.clone(),
            projects: shared.clone(),
            keys: shared.clone(),
            attachments: shared.clone(),
            sessions: shared.clone(),
            events: shared.clone(),
            tickets: shared.clone(),
            health: shared,
            backend: Backend::Postgres(store),
        })
    }

    /// Called on each thread that serves requests: on PostgreSQL it takes
    /// its connections from a shard of the pool of its own, so that their
    /// driver tasks run on it (no cross-thread wake-up per query).
    pub fn serve_from_this_thread(&self) {
        if let Backend::Postgres(store) = &self.backend {
            store.serve_from_this_thread();
        }
    }

    /// Whether this is the in-memory store.
    pub fn is_memory(&self) -> bool {
        matches!(self.backend, Backend::Memory(_))
    }

    /// The PostgreSQL store, when that is what this is.
    pub fn as_postgres(&self) -> Option<&PgStore> {
        match &self.backend {
            Backend::Postgres(store) => Some(store),
            Backend::Memory(_) => None,
        }
    }

    /// Starts hearing of changes: on PostgreSQL, one `LISTEN` connection to
    /// `listen`, reconnecting by itself (connection attempts bounded by
    /// `connect_timeout`).
    pub fn feeds(
        &self,
        listen: Option<&ConnectionString>,
        connect_timeout: Duration,
    ) -> Result<Feeds, PgError> {
        match (&self.backend, listen) {
            (Backend::Postgres(_), Some(listen)) => {
                let listener = Arc::new(PgListener::start(
                    listen,
                    connect_timeout,
                    // Commits only while this instance has streams open.
                    &[
                        (SESSION_ENDED, Listen::Always),
                        (EVENT_COMMITTED, Listen::WhileWanted),
                    ],
                )?);
                Ok(Feeds {
                    revocations: listener.clone(),
                    events: listener.clone(),
                    listener: Some(listener),
                })
            }
            (Backend::Memory(store), _) => Ok(Feeds {
                revocations: store.clone(),
                events: store.clone(),
                listener: None,
            }),
            (Backend::Postgres(_), None) => Err(PgError::Pool(
                "a PostgreSQL store needs a connection to listen on".into(),
            )),
        }
    }

    /// Closes the pool, if any: open connections are dropped.
    pub fn close(&self) {
        if let Backend::Postgres(store) = &self.backend {
            store.close();
        }
    }
}
