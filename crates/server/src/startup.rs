//! Wiring: concrete adapters into `Arc<dyn ...>` services, and the HTTP
//! server around them.

use crate::{
    config::Config,
    drain::{self, Connections, DrainTimes, Listener},
    shutdown,
    store::{Feeds, Store},
    workers::{self, Workers},
};
use actix_web::{HttpServer, dev::Server};
use secrecy::ExposeSecret;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use trellis_blobs::{BlobSetupError, S3Settings, StorageUrl};
use trellis_http::{
    AppState, Lifecycle, TokenKeys,
    hardening::{CorsPolicy, Hardening, Metrics},
};
use trellis_memory::{DEFAULT_COUNTER_CAPACITY, MemoryCounters};
use trellis_password::BcryptHasher;
use trellis_ports::{BlobStore, CounterStore, HealthService, PasswordHasher, RequestLimiter};
use trellis_redis::RedisCounters;
use trellis_services::{
    AccountsService, AdminUsersService, AttachmentJanitor, AttachmentPolicy, AttachmentsService,
    CursorKey, EventsService, LoginThrottle, ProjectsService, RateLimitPolicy, RateLimits,
    RefreshKey, ResilientCounters, RevocationList, SessionIssuer, SessionPolicy, SessionsService,
    StoreHealthService, SystemClock,
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database pool could not be built.
    #[error("database: {0}")]
    Database(#[from] trellis_postgres::PgError),
    /// The listening socket could not be bound.
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    /// An `ALLOWED_ORIGINS` entry is not an origin.
    #[error("ALLOWED_ORIGINS: {0}")]
    Cors(#[from] trellis_http::hardening::cors::InvalidOrigin),
    /// The `REDIS_URL` is malformed.
    #[error("REDIS_URL: {0}")]
    Redis(#[from] trellis_redis::InvalidUrl),
    /// Attachment storage could not be opened.
    #[error("STORAGE_URL: {0}")]
    Storage(#[from] BlobSetupError),
    /// The password hasher refused its cost.
    #[error("password hashing: {0}")]
    Hasher(#[from] trellis_password::InvalidCost),
}

/// A built, not yet running, Trellis server.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    feeds: Feeds,
    workers: Workers,
    lifecycle: Lifecycle,
    listener: Listener,
    connections: Connections,
    drain: DrainTimes,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens storage (migrating it unless told not to), wires the services
    /// and binds the listener. Port 0 picks a free port: see [`Self::port`].
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let store = match &config.database {
            Some(database) => {
                let store = Store::postgres(&database.settings, config.server.workers)?;
                if let (true, Some(pg)) = (database.run_migrations, store.as_postgres()) {
                    trellis_postgres::migrate(pg).await?;
                }
                store
            }
            None => {
                tracing::warn!(
                    "NO DATABASE CONFIGURED: serving from the in-memory store; all data is lost on exit. \
                     Set DATABASE_URL to use PostgreSQL."
                );
                Store::memory()
            }
        };
        if config.jwt_secret_generated {
            tracing::warn!(
                "JWT_SECRET is not set: using a random secret; tokens die with this process"
            );
        }
        let hasher: Arc<dyn PasswordHasher> = Arc::new(BcryptHasher::new(config.bcrypt_cost)?);
        let counters = Arc::new(counters(&config).await?);
        let limits = &config.rate_limit;
        let throttle = LoginThrottle::new(
            Arc::clone(&counters),
            limits.login_failures_max,
            limits.window,
        );
        let clock = Arc::new(SystemClock);
        let issuer = SessionIssuer::new(
            store.sessions.clone(),
            RefreshKey::derive(config.jwt_secret.expose_secret()),
            SessionPolicy {
                ttl: config.sessions.ttl,
                grace: config.sessions.grace,
            },
            clock.clone(),
        );
        let feeds = store.feeds(
            config.database.as_ref().map(|database| &database.listen),
            config
                .database
                .as_ref()
                .map_or(Duration::from_secs(5), |database| {
                    database.settings.connect_timeout
                }),
        )?;
        let revocations = Arc::new(RevocationList::new(config.jwt_lifetime));
        let mut workers = Workers::default();
        workers.spawn({
            let (list, sessions, feed) = (
                Arc::clone(&revocations),
                store.sessions.clone(),
                Arc::clone(&feeds.revocations),
            );
            move |stopping| async move {
                list.follow(sessions.as_ref(), feed.as_ref(), stopping)
                    .await;
            }
        });
        workers.spawn({
            let (sessions, keys) = (store.sessions.clone(), store.keys.clone());
            move |stopping| workers::sweep_expired(sessions, keys, stopping)
        });
        let events = Arc::new(EventsService::new(
            store.events.clone(),
            store.tickets.clone(),
            revocations.clone(),
            config.events.max_per_user,
        ));
        workers.spawn({
            let (events, feed, endings) = (
                Arc::clone(&events),
                Arc::clone(&feeds.events),
                revocations.ending(),
            );
            move |stopping| async move { events.follow(feed.as_ref(), endings, stopping).await }
        });
        workers.spawn({
            let (log, tickets) = (store.events.clone(), store.tickets.clone());
            let retention = config.events.retention;
            move |stopping| workers::sweep_events(log, tickets, retention, stopping)
        });
        let blobs = blob_store(&config, &store)?;
        let attachment_limits = &config.attachments;
        workers.spawn({
            let janitor =
                AttachmentJanitor::new(store.attachments.clone(), blobs.clone(), clock.clone());
            let (sweep, reconcile, grace) = (
                attachment_limits.sweep_every,
                attachment_limits.reconcile_every,
                attachment_limits.orphan_grace,
            );
            move |stopping| workers::tend_attachments(janitor, sweep, reconcile, grace, stopping)
        });
        let attachments = Arc::new(AttachmentsService::new(
            store.attachments.clone(),
            blobs,
            clock.clone(),
            AttachmentPolicy {
                max_bytes: attachment_limits.max_bytes,
                per_project: attachment_limits.per_project,
                types: attachment_limits.types.clone(),
            },
        ));
        let state = AppState {
            accounts: Arc::new(
                AccountsService::new(store.users.clone(), Arc::clone(&hasher), issuer.clone())
                    .with_login_throttle(throttle),
            ),
            sessions: Arc::new(SessionsService::new(
                issuer,
                store.users.clone(),
                hasher,
                Arc::clone(&revocations),
            )),
            revocations,
            events,
            projects: Arc::new(ProjectsService::new(
                store.projects.clone(),
                store.keys.clone(),
                clock,
                CursorKey::derive(config.jwt_secret.expose_secret()),
            )),
            attachments,
            attachment_max_bytes: attachment_limits.max_bytes,
            admin: Arc::new(AdminUsersService::new(store.users.clone())),
            health: Arc::new(StoreHealthService::new(store.health.clone())),
            tokens: TokenKeys::new(config.jwt_secret.expose_secret(), config.jwt_lifetime),
            started_at: Instant::now(),
            body_limit: config.server.body_limit_bytes,
            lifecycle: Lifecycle::new(),
        };
        let lifecycle = state.lifecycle.clone();
        let hardening = hardening(&config, Arc::clone(&state.health), counters)?;
        let server_config = &config.server;
        let (listener, socket) = Listener::bind(
            (server_config.host, server_config.port).into(),
            LISTEN_BACKLOG,
        )?;
        let connections = Connections::default();
        let counted = connections.clone();
        let serving = store.clone();
        let server = HttpServer::new(move || {
            // Runs once on each worker thread, as it starts.
            serving.serve_from_this_thread();
            trellis_http::app(state.clone(), hardening.clone())
        })
        .workers(server_config.workers)
        .client_request_timeout(server_config.client_request_timeout)
        .keep_alive(server_config.keep_alive)
        .max_connections(server_config.max_connections)
        .shutdown_timeout(server_config.shutdown_timeout.as_secs())
        // Stop signals start a drain (`run_until_stopped`), not actix's
        // own shutdown, which closes the listener at once.
        .disable_signals()
        // A client that closes its side is gone: its request's future is
        // dropped (so a login queued for bcrypt is never hashed) rather
        // than served to nobody.
        .h1_allow_half_closed(false)
        .on_connect(move |_, extensions| counted.opened(extensions))
        .listen(socket)?;
        let port = listener.local_addr()?.port();
        let server = server.run();
        tracing::info!(port, store = ?store, "trellis listening");
        Ok(Self {
            port,
            server,
            store,
            feeds,
            workers,
            lifecycle,
            listener,
            connections,
            drain: DrainTimes {
                delay: server_config.shutdown_delay,
                timeout: server_config.shutdown_timeout,
            },
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until a stop signal, then drains (see the `drain` module), stops the
    /// background workers and the listener, and closes the pool. A stop
    /// through [`Self::handle`] skips the drain.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            store,
            feeds,
            workers,
            lifecycle,
            listener,
            connections,
            drain: times,
            ..
        } = self;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let result = tokio::select! {
            result = &mut server => result,
            () = shutdown::signal() => {
                let (result, ()) = tokio::join!(
                    &mut server,
                    drain::drain(times, &lifecycle, listener, &connections, handle),
                );
                result
            }
        };
        workers.stop().await;
        feeds.stop().await;
        store.close();
        tracing::info!("trellis stopped");
        result
    }
}

/// Connections the kernel queues for accepting (capped by
/// `net.core.somaxconn`). A full queue drops new connections' SYNs and their
/// clients wait a second to retry: with the standard library's 128, a burst
/// of a few thousand connections stalls for seconds; actix's own default
/// is this.
const LISTEN_BACKLOG: i32 = 2048;

/// Where rate-limit counters live in Redis; every instance shares them.
const REDIS_PREFIX: &str = "trellis:rate-limit:";

/// Where attachments' bytes go: `STORAGE_URL`, or by default files under
/// `./data/attachments` — in memory when the server runs on its in-memory
/// store (both are lost together, and a test server leaves no files).
fn blob_store(config: &Config, store: &Store) -> Result<Arc<dyn BlobStore>, StartError> {
    let attachments = &config.attachments;
    let url: StorageUrl = match (&attachments.storage_url, store.is_memory()) {
        (Some(url), _) => url.parse().map_err(BlobSetupError::from)?,
        (None, true) => StorageUrl::Memory,
        (None, false) => DEFAULT_STORAGE_URL.parse().map_err(BlobSetupError::from)?,
    };
    let s3 = S3Settings {
        endpoint: attachments.s3_endpoint.clone(),
        region: Some(attachments.s3_region.clone()),
        access_key_id: attachments.s3_access_key_id.clone(),
        secret_access_key: attachments.s3_secret_access_key.clone(),
    };
    let blobs = trellis_blobs::open(&url, &s3)?;
    tracing::info!(storage = %url, "attachment storage open");
    Ok(blobs)
}

/// Where attachments' bytes go unless `STORAGE_URL` says otherwise.
const DEFAULT_STORAGE_URL: &str = "file://./data/attachments";

/// The counters behind every limit: in Redis when `REDIS_URL` is set (with
/// this instance's memory taking over while Redis fails), else in memory.
async fn counters(config: &Config) -> Result<ResilientCounters, StartError> {
    let local: Arc<dyn CounterStore> = Arc::new(MemoryCounters::new(DEFAULT_COUNTER_CAPACITY));
    let Some(url) = &config.rate_limit.redis_url else {
        return Ok(ResilientCounters::local(local));
    };
    let redis = RedisCounters::new(url.expose_secret(), REDIS_PREFIX)?;
    if let Err(error) = redis.connect().await {
        tracing::warn!(
            cause = %error.0,
            "rate-limit store unreachable at start; counting in this instance's memory until it answers"
        );
    }
    Ok(ResilientCounters::shared(Arc::new(redis), local))
}

/// The hardening layers' shared parts: one limiter and one metrics registry
/// for all workers.
fn hardening(
    config: &Config,
    health: Arc<dyn HealthService>,
    counters: Arc<ResilientCounters>,
) -> Result<Hardening, StartError> {
    let limits = &config.rate_limit;
    let policy = RateLimitPolicy {
        max: limits.max,
        auth_max: limits.auth_max,
        window: limits.window,
    };
    let limiter: Arc<dyn RequestLimiter> = Arc::new(RateLimits::new(policy, counters));
    let metrics = Metrics::new()
        .with_health(health)
        .with_rate_limiter(Arc::clone(&limiter));
    Ok(Hardening {
        cors: CorsPolicy::new(config.server.allowed_origins.as_deref())?,
        limiter,
        trust_proxy_hops: limits.trust_proxy_hops,
        metrics: Arc::new(metrics),
        slow_request: config.server.slow_request,
    })
}
