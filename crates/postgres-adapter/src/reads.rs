//! One long-lived connection per serving thread that single-statement reads
//! share, so that tokio-postgres pipelines them.
//!
//! A pooled connection serves one request at a time: each query is its own
//! write, its own wake-up of the connection task and its own read. Queries
//! issued on one `Client` while others are in flight go out in the same
//! write and come back in the same read, so concurrent requests of a worker
//! share those system calls and wake-ups. Only statements that need no
//! transaction and take no lock go this way (a user or project by id, a
//! page of projects); transactions and writes keep the pool.
//!
//! The connection is opened on first use, by the thread that uses it (its
//! driver task runs there), replaced when it breaks or a statement on it
//! times out, and never closed for idleness.

use crate::{
    failure,
    store::{Params, Sql},
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio_postgres::{Client, NoTls, Row, Socket, Statement, tls::MakeTlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;
use trellis_ports::RepositoryError;

/// The shared connection of one serving thread, and how to open it again.
pub(crate) struct SharedReads {
    config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
    connect_timeout: Duration,
    current: Mutex<Option<Arc<Shared>>>,
    /// Held while a connection is being opened, so that a burst of requests
    /// opens one, not one each.
    opening: tokio::sync::Mutex<()>,
    closed: AtomicBool,
}

/// An open connection and the statements prepared on it.
pub(crate) struct Shared {
    client: Client,
    /// By the address and length of the statement's (static) text.
    statements: Mutex<HashMap<(usize, usize), Statement>>,
}

impl SharedReads {
    /// Not connected yet: the first read opens the connection.
    pub(crate) fn new(
        config: tokio_postgres::Config,
        tls: Option<MakeRustlsConnect>,
        connect_timeout: Duration,
    ) -> Self {
        Self {
            config,
            tls,
            connect_timeout,
            current: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether a connection is open.
    pub(crate) fn is_open(&self) -> bool {
        self.live().is_some()
    }

    /// No more reads: the connection is dropped once the reads in flight on
    /// it end, and later ones answer [`RepositoryError::Unavailable`].
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        *self.slot() = None;
    }

    /// The open connection, opened now (within the connect timeout) if
    /// there is none or it broke.
    pub(crate) async fn connection(&self) -> Result<Arc<Shared>, RepositoryError> {
        if let Some(shared) = self.live() {
            return Ok(shared);
        }
        let _opening = self.opening.lock().await;
        if let Some(shared) = self.live() {
            return Ok(shared);
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(failure::closed());
        }
        let client = tokio::time::timeout(self.connect_timeout, self.open())
            .await
            .map_err(|_| failure::timed_out(self.connect_timeout))?
            .map_err(failure::from_connect)?;
        let shared = Arc::new(Shared {
            client,
            statements: Mutex::default(),
        });
        let mut slot = self.slot();
        // Closed while connecting: this connection is not kept.
        if self.closed.load(Ordering::Acquire) {
            return Err(failure::closed());
        }
        *slot = Some(shared.clone());
        Ok(shared)
    }

    /// Forgets `shared` if it is still the current connection (it broke, or
    /// a statement on it did not answer in time): the next read opens
    /// another. Reads in flight on it keep it until they end.
    pub(crate) fn broken(&self, shared: &Arc<Shared>) {
        let mut slot = self.slot();
        if slot
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, shared))
        {
            *slot = None;
        }
    }

    fn live(&self) -> Option<Arc<Shared>> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        self.slot()
            .as_ref()
            .filter(|shared| !shared.client.is_closed())
            .cloned()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Shared>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connects, with TLS if configured.
    async fn open(&self) -> Result<Client, tokio_postgres::Error> {
        match &self.tls {
            Some(tls) => connect(&self.config, tls.clone()).await,
            None => connect(&self.config, NoTls).await,
        }
    }
}

impl Shared {
    /// Runs `sql`, prepared on this connection the first time it is run
    /// here (two reads racing to prepare it both do; one statement is kept).
    pub(crate) async fn query(
        &self,
        sql: &Sql,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let key = (sql.text.as_ptr() as usize, sql.text.len());
        let known = self.prepared().get(&key).cloned();
        let statement = match known {
            Some(statement) => statement,
            None => {
                let statement = self.client.prepare_typed(sql.text, sql.types).await?;
                self.prepared().insert(key, statement.clone());
                statement
            }
        };
        self.client.query(&statement, params).await
    }

    fn prepared(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, usize), Statement>> {
        self.statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Connects through `tls`, and drives the connection on the calling
/// thread's runtime.
async fn connect<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(drive(connection));
    Ok(client)
}

/// Runs a connection until it closes (its client is dropped, or the server
/// or the network ended it).
async fn drive<F>(connection: F)
where
    F: Future<Output = Result<(), tokio_postgres::Error>>,
{
    if let Err(error) = connection.await {
        tracing::debug!(error = %failure::describe(&error), "shared read connection ended");
    }
}
