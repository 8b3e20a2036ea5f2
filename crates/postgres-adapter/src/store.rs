//! The pool, and the one path every statement takes through it.

use crate::{
    PgError, PgSettings,
    announce::{Announcer, Writing},
    failure,
    reads::SharedReads,
    tls,
};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, WeakPool};
use std::{
    cell::Cell,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio_postgres::{
    NoTls, Row,
    types::{ToSql, Type},
};
use trellis_domain::UserId;
use trellis_ports::{PoolStats, RepositoryError, StoreHealth};

/// Parameters of a statement, in `$n` order.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One constant, parameterised statement and the PostgreSQL types of its
/// `$n` parameters, in order.
///
/// The types are declared once, here, and used by both ways of running a
/// statement (see [`PgSettings::prepared_statements`]): as the parameter
/// types of the cached prepared statement, or sent along with an unnamed
/// one. Either way PostgreSQL infers nothing, and a Rust value that does
/// not fit its declared type is refused before it is sent.
#[derive(Debug)]
pub(crate) struct Sql {
    /// The statement, with `$1`, `$2`, ... for its parameters.
    pub(crate) text: &'static str,
    /// The type of each parameter, `$1` first.
    pub(crate) types: &'static [Type],
}

/// The readiness ping.
const PING: Sql = Sql {
    text: "SELECT 1",
    types: &[],
};

/// PostgreSQL behind a connection pool. Cheap to clone: clones share the pool.
///
/// The pool may be split in shards, one per thread that serves requests
/// ([`PgStore::connect_sharded`], [`PgStore::serve_from_this_thread`]): a
/// connection's driver task runs on the thread that opened it, so a thread
/// that only takes connections from its own shard never wakes another
/// thread to send a query or read its rows.
///
/// A serving thread's shard of two or more connections also keeps one of
/// them apart, long-lived, for the single-statement reads that need no
/// transaction: concurrent reads of that thread share it, and
/// tokio-postgres pipelines them (see the `reads` module). Not with
/// prepared statements off: behind a transaction-pooling PgBouncer every
/// statement takes the pool's path.
///
/// Implements [`UserRepository`](trellis_ports::UserRepository),
/// [`ProjectRepository`](trellis_ports::ProjectRepository),
/// [`AttachmentRepository`](trellis_ports::AttachmentRepository) and
/// [`StoreHealth`](trellis_ports::StoreHealth), among others.
#[derive(Clone)]
pub struct PgStore {
    shards: Arc<[Shard]>,
    next_worker: Arc<AtomicUsize>,
    connect_timeout: Duration,
    query_timeout: Duration,
    slow_query: Duration,
    prepared_statements: bool,
    announcer: Announcer,
}

/// A shard: its pool, and for a serving thread's shard its shared read
/// connection, if it has one.
struct Shard {
    pool: Pool,
    reads: Option<SharedReads>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool_stats())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Builds the pool. Connections are opened on first use: this does not
    /// wait for the server, so a database that is down makes requests answer
    /// "unavailable" rather than stopping the process.
    ///
    /// Must be called within a Tokio runtime: a background task closes
    /// connections idle for longer than [`PgSettings::idle_timeout`].
    pub fn connect(settings: PgSettings) -> Result<Self, PgError> {
        Self::connect_sharded(settings, 1)
    }

    /// Like [`PgStore::connect`], with the pool split for `workers`
    /// threads that serve requests: each that calls
    /// [`PgStore::serve_from_this_thread`] gets a shard of its own (the
    /// connections shared out evenly), and every other thread (start-up,
    /// background tasks) shares one more shard of a single connection.
    /// With fewer connections than workers + 1 the pool is not split. A
    /// serving shard of two or more connections keeps one of them for
    /// shared reads (see [`PgStore`]), so no more than `pool_max`
    /// connections are ever open.
    pub fn connect_sharded(settings: PgSettings, workers: usize) -> Result<Self, PgError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PgError::Pool("PgStore::connect needs a Tokio runtime".into()))?;
        let sizes: Vec<usize> = if workers >= 1 && settings.pool_max > workers {
            let serving = settings.pool_max - 1;
            std::iter::once(1)
                .chain((0..workers).map(|n| serving / workers + usize::from(n < serving % workers)))
                .collect()
        } else {
            vec![settings.pool_max]
        };
        let config = client_config(&settings)?;
        let connector = tls::connector(&settings.connection)?;
        let shared_reads = sizes.len() > 1 && settings.prepared_statements;
        let pools = sizes
            .into_iter()
            .enumerate()
            .map(|(index, size)| {
                let reads = (shared_reads && index > 0 && size >= 2).then(|| {
                    SharedReads::new(config.clone(), connector.clone(), settings.connect_timeout)
                });
                let size = size - usize::from(reads.is_some());
                let manager_config = ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                };
                let manager = match &connector {
                    Some(tls) => Manager::from_config(config.clone(), tls.clone(), manager_config),
                    None => Manager::from_config(config.clone(), NoTls, manager_config),
                };
                let pool = Pool::builder(manager)
                    .max_size(size)
                    .runtime(Runtime::Tokio1)
                    .wait_timeout(Some(settings.connect_timeout))
                    .create_timeout(Some(settings.connect_timeout))
                    .recycle_timeout(Some(settings.connect_timeout))
                    .build()
                    .map_err(|e| PgError::Pool(e.to_string()))?;
                runtime.spawn(close_idle(pool.weak(), settings.idle_timeout));
                Ok(Shard { pool, reads })
            })
            .collect::<Result<Vec<_>, PgError>>()?;
        // The shard of background work (the hub's reads, the sweeps).
        let announcer = Announcer::start(&runtime, pools[0].pool.weak(), settings.query_timeout);
        Ok(Self {
            announcer,
            shards: pools.into(),
            next_worker: Arc::default(),
            connect_timeout: settings.connect_timeout,
            query_timeout: settings.query_timeout,
            slow_query: settings.slow_query,
            prepared_statements: settings.prepared_statements,
        })
    }

    /// Closes the pool: idle connections are dropped now, busy ones when
    /// they are returned, and later calls answer
    /// [`RepositoryError::Unavailable`].
    pub fn close(&self) {
        for shard in self.shards.iter() {
            shard.pool.close();
            if let Some(reads) = &shard.reads {
                reads.close();
            }
        }
    }

    /// Makes the calling thread, one that serves requests, take its
    /// connections from a shard of its own from now on (the next one, in
    /// turn, when there are more such threads than shards).
    pub fn serve_from_this_thread(&self) {
        if self.shards.len() > 1 {
            let workers = self.shards.len() - 1;
            let next = self.next_worker.fetch_add(1, Ordering::Relaxed);
            SHARD.set(1 + next % workers);
        }
    }

    /// The calling thread's shard.
    fn shard(&self) -> &Shard {
        &self.shards[SHARD.get() % self.shards.len()]
    }

    /// Runs one constant, parameterised statement on a pooled connection
    /// and returns its rows: prepared once per connection and then executed
    /// by name, or, when prepared statements are off, as an unnamed
    /// statement with its parameter types in a single round trip (what a
    /// transaction-pooling PgBouncer before 1.21 can carry).
    ///
    /// Every repository call goes through here, [`Self::transaction`] or
    /// [`Self::read`]:
    /// the whole call, waiting for a connection included, is bounded by the
    /// query timeout (a connection that stops answering is dropped, not
    /// returned to the pool); its errors are mapped in [`failure`]; a slow
    /// statement is logged.
    pub(crate) async fn rows(
        &self,
        sql: &Sql,
        params: Params<'_>,
    ) -> Result<Vec<Row>, RepositoryError> {
        let mut results = self.run(&[(sql, params)], false).await?;
        results
            .pop()
            .ok_or_else(|| failure::unexpected("result", "the statement did not run"))
    }

    /// Runs `steps` in order in one transaction, each statement seeing
    /// what the ones before it wrote (and, under READ COMMITTED, whatever
    /// other transactions committed before it started: what a row lock
    /// taken by an earlier step waited for), then commits. A step that
    /// returns no rows is the last: the later ones depend on it. Returns
    /// the rows of each step that ran, in order.
    ///
    /// Bounded, mapped and logged like [`Self::rows`]. A connection whose
    /// transaction failed part-way is dropped, never returned to the pool
    /// inside it.
    pub(crate) async fn transaction(
        &self,
        steps: &[(&Sql, Params<'_>)],
    ) -> Result<Vec<Vec<Row>>, RepositoryError> {
        self.run(steps, true).await
    }

    /// [`Self::rows`] of each step, inside a transaction when `transaction`.
    async fn run(
        &self,
        steps: &[(&Sql, Params<'_>)],
        transaction: bool,
    ) -> Result<Vec<Vec<Row>>, RepositoryError> {
        // Both ways must run the same statement: preparing would let
        // PostgreSQL infer the type of a parameter missing from the list,
        // sending it unnamed would not.
        for (sql, params) in steps {
            check_arity(sql, params)?;
        }
        let deadline = tokio::time::Instant::now() + self.query_timeout;
        let client = tokio::time::timeout_at(deadline, self.client())
            .await
            .map_err(|_| failure::timed_out(self.query_timeout))??;
        let outcome = tokio::time::timeout_at(deadline, async {
            if transaction {
                client.batch_execute("BEGIN").await?;
            }
            let mut results = Vec::with_capacity(steps.len());
            for (sql, params) in steps {
                let started = Instant::now();
                let rows = self.query(&client, sql, params).await?;
                self.log_if_slow(sql, started.elapsed(), rows.len());
                let last = transaction && rows.is_empty();
                results.push(rows);
                if last {
                    break;
                }
            }
            if transaction {
                client.batch_execute("COMMIT").await?;
            }
            Ok(results)
        })
        .await;
        match outcome {
            Ok(Ok(results)) => Ok(results),
            Ok(Err(error)) => {
                if transaction {
                    drop(Object::take(client));
                }
                Err(failure::from_query(error))
            }
            Err(_) => {
                drop(Object::take(client));
                Err(failure::timed_out(self.query_timeout))
            }
        }
    }

    /// Runs a single-statement read that needs no transaction and takes no
    /// lock, as [`PgStore::rows`] does, but on the calling thread's shared
    /// read connection if its shard has one (see [`PgStore`]), where it is
    /// pipelined with the thread's other reads.
    ///
    /// The same bounds, error mapping and logging hold: the whole call,
    /// opening the connection included (itself bounded by the connect
    /// timeout), is bounded by the query timeout; a connection that broke
    /// or did not answer in time is given up (the reads in flight on it
    /// end as they may) and the next read opens another.
    pub(crate) async fn read(
        &self,
        sql: &Sql,
        params: Params<'_>,
    ) -> Result<Vec<Row>, RepositoryError> {
        let Some(reads) = &self.shard().reads else {
            return self.rows(sql, params).await;
        };
        check_arity(sql, params)?;
        let deadline = tokio::time::Instant::now() + self.query_timeout;
        let shared = tokio::time::timeout_at(deadline, reads.connection())
            .await
            .map_err(|_| failure::timed_out(self.query_timeout))??;
        let started = Instant::now();
        let Ok(result) = tokio::time::timeout_at(deadline, shared.query(sql, params)).await else {
            reads.broken(&shared);
            return Err(failure::timed_out(self.query_timeout));
        };
        let rows = result.map_err(|error| {
            // A server error leaves the connection usable; any other
            // (closed, I/O) does not.
            if error.as_db_error().is_none() {
                reads.broken(&shared);
            }
            failure::from_query(error)
        })?;
        self.log_if_slow(sql, started.elapsed(), rows.len());
        Ok(rows)
    }

    /// One statement on `client`, prepared (and cached) or unnamed; see
    /// [`PgSettings::prepared_statements`].
    async fn query(
        &self,
        client: &Object,
        sql: &Sql,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        if self.prepared_statements {
            let statement = client.prepare_typed_cached(sql.text, sql.types).await?;
            client.query(&statement, params).await
        } else {
            let typed: Vec<_> = params
                .iter()
                .copied()
                .zip(sql.types.iter().cloned())
                .collect();
            client.query_typed(sql.text, &typed).await
        }
    }

    /// Logs `sql` if it took at least the slow-query bound.
    fn log_if_slow(&self, sql: &Sql, elapsed: Duration, rows: usize) {
        if elapsed >= self.slow_query {
            let statement: String = sql.text.split_whitespace().collect::<Vec<_>>().join(" ");
            tracing::warn!(
                sql = %statement.chars().take(80).collect::<String>(),
                duration_ms = elapsed.as_millis(),
                rows,
                "slow query"
            );
        }
    }

    /// Tells every instance, when dropped, that a write of `owner`'s
    /// projects has ended (see the `announce` module): held across each.
    pub(crate) fn writing(&self, owner: UserId) -> Writing<'_> {
        self.announcer.writing(owner.as_uuid())
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, RepositoryError> {
        self.shard().pool.get().await.map_err(failure::from_pool)
    }
}

#[async_trait]
impl StoreHealth for PgStore {
    async fn ping(&self) -> Result<(), RepositoryError> {
        match tokio::time::timeout(self.connect_timeout, self.rows(&PING, &[])).await {
            Ok(result) => result.map(drop),
            Err(_) => Err(failure::timed_out(self.connect_timeout)),
        }
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let empty = PoolStats {
            max_size: 0,
            size: 0,
            available: 0,
            waiting: 0,
        };
        // A shared read connection counts as one more, always available
        // while open (no request holds it alone).
        Some(self.shards.iter().fold(empty, |sum, shard| {
            let status = shard.pool.status();
            let reads = shard.reads.as_ref().map(SharedReads::is_open);
            let (kept, open) = (
                usize::from(reads.is_some()),
                usize::from(reads == Some(true)),
            );
            PoolStats {
                max_size: sum.max_size + status.max_size + kept,
                size: sum.size + status.size + open,
                available: sum.available + status.available + open,
                waiting: sum.waiting + status.waiting,
            }
        }))
    }
}

thread_local! {
    /// The shard the calling thread takes connections from: 0, the shared
    /// one, unless [`PgStore::serve_from_this_thread`] said otherwise.
    static SHARD: Cell<usize> = const { Cell::new(0) };
}

/// Refuses parameters that do not match the statement's declared types in
/// number. Both ways of running a statement must run the same one:
/// preparing would let PostgreSQL infer the type of a parameter missing
/// from the list, sending it unnamed would not.
fn check_arity(sql: &Sql, params: Params<'_>) -> Result<(), RepositoryError> {
    if params.len() == sql.types.len() {
        Ok(())
    } else {
        Err(failure::unexpected(
            "statement",
            "the parameters do not match the declared types",
        ))
    }
}

/// The row an `INSERT ... RETURNING` always yields.
pub(crate) fn inserted(rows: &[Row]) -> Result<&Row, RepositoryError> {
    rows.first()
        .ok_or_else(|| failure::unexpected("result", "the insert returned no row"))
}

/// The driver's configuration: the connection string, plus the timeouts
/// and keep-alives from `settings`.
fn client_config(settings: &PgSettings) -> Result<tokio_postgres::Config, PgError> {
    let mut config = settings.connection.driver_config();
    // The server cancels a statement running past the query timeout, so a
    // query the adapter gave up on does not keep working (or holding locks).
    let options = format!(
        "{} -c statement_timeout={}",
        config.get_options().unwrap_or_default(),
        settings.query_timeout.as_millis()
    );
    config
        .options(options.trim_start())
        .connect_timeout(settings.connect_timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30));
    if config.get_application_name().is_none() {
        config.application_name("trellis");
    }
    Ok(config)
}

/// Every half idle period, closes the connections unused for `idle`. Ends
/// when the pool is closed or dropped.
async fn close_idle(pool: WeakPool, idle: Duration) {
    let mut ticks = tokio::time::interval((idle / 2).max(Duration::from_millis(50)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(pool) = pool.upgrade() else { return };
        if pool.is_closed() {
            return;
        }
        let closed = pool
            .retain(|_, metrics| metrics.last_used() < idle)
            .removed
            .len();
        if closed > 0 {
            tracing::debug!(closed, "closed idle database connections");
        }
    }
}
