//! The shared read connection of a serving thread's shard: concurrent reads
//! share (and pipeline on) one connection, which is replaced when it breaks,
//! and fails in time like the pool.

#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use futures_util::future::join_all;
use std::time::{Duration, Instant};
use support::{named, user};
use tokio::net::TcpListener;
use trellis_domain::{PageRequest, ProjectFilter, ProjectSort, UserId};
use trellis_ports::{ProjectRepository, RepositoryError, StoreHealth, UserRepository};
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

/// Scheduling slack on a busy machine.
const SLACK: Duration = Duration::from_millis(400);

/// A store of 5 connections for 2 serving threads: one shared shard of 1,
/// and for each serving thread a pool of 1 and a shared read connection.
fn sharded(settings: PgSettings) -> PgStore {
    PgStore::connect_sharded(
        PgSettings {
            pool_max: 5,
            ..settings
        },
        2,
    )
    .unwrap()
}

/// Runs `work` on a thread of its own that serves from `store`'s next
/// shard, on a current-thread runtime like an actix worker's.
fn serving<T: Send + 'static>(
    store: &PgStore,
    work: impl AsyncFnOnce(PgStore) -> T + Send + 'static,
) -> T {
    let store = store.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        store.serve_from_this_thread();
        runtime.block_on(work(store))
    })
    .join()
    .unwrap()
}

/// A plain client of `url`, driven on the calling thread's runtime (the
/// test's own runtime is blocked while a serving thread runs).
async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The open connections of `store`'s application (`trellis`) on `database`.
async fn backends(admin: &tokio_postgres::Client, database: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'trellis'",
            &[&database],
        )
        .await
        .unwrap()
        .get(0)
}

/// Asserts that `outcome` is Unavailable and came within `bound`.
fn unavailable_within<T: std::fmt::Debug>(
    outcome: Result<T, RepositoryError>,
    started: Instant,
    bound: Duration,
) {
    assert!(
        matches!(outcome, Err(RepositoryError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < bound + SLACK,
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrent_reads_of_a_serving_thread_share_one_connection() {
    let database = TestDatabase::create().await;
    let store = sharded(database.settings());
    assert_eq!(
        store.pool_stats().unwrap().max_size,
        5,
        "one kept per shard"
    );
    let ada = user(&store).await;
    let project = ProjectRepository::create(&store, ada.id, named("shared"))
        .await
        .unwrap();
    let (url, name) = (database.url().to_owned(), database.name().to_owned());
    let (users, projects, pages, stats, open) = serving(&store, async move |store| {
        let users = join_all((0..32).map(|_| store.find_by_id(ada.id))).await;
        let projects = join_all((0..32).map(|_| store.find(ada.id, project.id))).await;
        let everything = ProjectFilter::default();
        let pages = join_all((0..32).map(|_| {
            ProjectRepository::page(
                &store,
                ada.id,
                &everything,
                ProjectSort::default(),
                PageRequest::default(),
            )
        }))
        .await;
        // Read before this thread's runtime (which drives the read
        // connection) ends.
        let open = backends(&admin(&url).await, &name).await;
        (users, projects, pages, store.pool_stats().unwrap(), open)
    });
    for found in users {
        assert_eq!(found.unwrap().unwrap().id, ada.id);
    }
    for found in projects {
        assert_eq!(found.unwrap().unwrap().id, project.id);
    }
    for page in pages {
        let page = page.unwrap();
        assert_eq!((page.total, page.items.len()), (1, 1));
    }
    // The shared shard's connection (the writes above), and the serving
    // thread's read connection: 96 reads, one connection.
    assert_eq!((stats.size, stats.available), (2, 2), "{stats:?}");
    assert_eq!(open, 2);
}

#[tokio::test]
async fn a_killed_read_connection_fails_in_time_and_is_replaced() {
    let database = TestDatabase::create().await;
    let store = sharded(database.settings());
    let ada = user(&store).await;
    let (url, name) = (database.url().to_owned(), database.name().to_owned());
    let outcomes = serving(&store, async move |store| {
        assert!(store.find_by_id(ada.id).await.unwrap().is_some());
        admin(&url)
            .await
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name = 'trellis'",
                &[&name],
            )
            .await
            .unwrap();
        // Whether the first read after the kill sees the closed connection
        // or a new one depends on when the driver noticed; each read either
        // works or is Unavailable at once, and reads work again.
        let mut outcomes = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let outcome = store.find_by_id(ada.id).await;
            outcomes.push((outcome.map(|found| found.is_some()), started.elapsed()));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        outcomes
    });
    for (outcome, took) in &outcomes {
        assert!(
            matches!(outcome, Ok(true) | Err(RepositoryError::Unavailable(_))),
            "{outcome:?}"
        );
        assert!(*took < SLACK, "took {took:?}");
    }
    assert!(
        matches!(outcomes.last(), Some((Ok(true), _))),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_silent_server_makes_reads_unavailable_within_the_connect_timeout() {
    // Accepts connections and then says nothing, like a half-open peer.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let database = TestDatabase::create().await;
    let connect_timeout = Duration::from_millis(500);
    let store = sharded(PgSettings {
        connection: format!("postgres://postgres@127.0.0.1:{port}/postgres")
            .parse()
            .unwrap(),
        connect_timeout,
        query_timeout: Duration::from_secs(2),
        ..database.settings()
    });
    serving(&store, async move |store| {
        let started = Instant::now();
        unavailable_within(
            store.find_by_id(UserId::generate()).await,
            started,
            connect_timeout,
        );
    });
    silent.abort();
}

#[tokio::test]
async fn a_closed_store_has_no_shared_reads() {
    let database = TestDatabase::create().await;
    let store = sharded(database.settings());
    let ada = user(&store).await;
    serving(&store, async move |store| {
        assert!(store.find_by_id(ada.id).await.unwrap().is_some());
        store.close();
        let started = Instant::now();
        unavailable_within(store.find_by_id(ada.id).await, started, Duration::ZERO);
        unavailable_within(store.ping().await, started, Duration::ZERO);
    });
}

#[tokio::test]
async fn without_prepared_statements_reads_take_the_pool() {
    let database = TestDatabase::create().await;
    let store = sharded(PgSettings {
        prepared_statements: false,
        ..database.settings()
    });
    let ada = user(&store).await;
    serving(&store, async move |store| {
        let found = join_all((0..4).map(|_| store.find_by_id(ada.id))).await;
        assert!(found.into_iter().all(|found| found.unwrap().is_some()));
    });
    let stats = store.pool_stats().unwrap();
    // The shared shard's one, and the serving shard's pool of 2 (no read
    // connection kept apart), both used.
    assert_eq!((stats.max_size, stats.size), (5, 3), "{stats:?}");
}
