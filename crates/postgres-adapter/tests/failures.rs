//! What the store answers when PostgreSQL is slow, gone or misconfigured.

mod support;

use std::time::{Duration, Instant};
use support::{named, user};
use tokio::net::TcpListener;
use trellis_domain::{PageRequest, ProjectPatch, ProjectStatus, UserId};
use trellis_ports::{ProjectRepository, RepositoryError, StoreHealth, UserRepository};
use trellis_postgres::{PgError, PgSettings, PgStore, SslMode, testkit::TestDatabase};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a busy machine.
const SLACK: Duration = Duration::from_millis(400);

fn settings(connection: String) -> PgSettings {
    PgSettings {
        connection,
        pool_max: 2,
        connect_timeout: CONNECT_TIMEOUT,
        idle_timeout: Duration::from_secs(30),
        query_timeout: Duration::from_secs(2),
        slow_query: Duration::from_secs(1),
        ssl_mode: SslMode::Disable,
        ssl_root_cert: None,
        prepared_statements: true,
    }
}

/// Asserts that `call` fails as Unavailable within the connect timeout.
async fn unavailable_in_time<T: std::fmt::Debug>(
    call: impl Future<Output = Result<T, RepositoryError>>,
) {
    let started = Instant::now();
    let outcome = call.await;
    let elapsed = started.elapsed();
    assert!(
        matches!(outcome, Err(RepositoryError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(elapsed < CONNECT_TIMEOUT + SLACK, "took {elapsed:?}");
}

#[tokio::test]
async fn a_closed_port_is_unavailable_at_once() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = PgStore::connect(settings(format!(
        "postgres://postgres@127.0.0.1:{port}/postgres"
    )))
    .unwrap();
    unavailable_in_time(store.ping()).await;
    unavailable_in_time(store.find_by_id(UserId::generate())).await;
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_within_the_connect_timeout() {
    // Accepts connections and then says nothing, like a half-open peer.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let store = PgStore::connect(settings(format!(
        "postgres://postgres@127.0.0.1:{port}/postgres"
    )))
    .unwrap();
    unavailable_in_time(store.ping()).await;
    unavailable_in_time(ProjectRepository::page(
        &store,
        UserId::generate(),
        None,
        PageRequest::default(),
    ))
    .await;
    silent.abort();
}

#[tokio::test]
async fn a_statement_stuck_behind_a_lock_gives_up_after_the_query_timeout() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(PgSettings {
        query_timeout: Duration::from_millis(300),
        ..db.settings()
    })
    .unwrap();
    let ada = user(&store).await;
    let project = ProjectRepository::create(&store, ada.id, named("locked"))
        .await
        .unwrap();
    let mut locker = db.client().await;
    let lock = locker.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE",
        &[&project.id.as_uuid()],
    )
    .await
    .unwrap();

    let patch = ProjectPatch {
        status: Some(ProjectStatus::Archived),
        ..ProjectPatch::default()
    };
    let started = Instant::now();
    let outcome = store.update(ada.id, project.id, &patch).await;
    assert!(
        matches!(outcome, Err(RepositoryError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(300) + SLACK,
        "{:?}",
        started.elapsed()
    );
    lock.rollback().await.unwrap();

    // The store keeps working afterwards.
    let updated = store
        .update(ada.id, project.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, ProjectStatus::Archived);
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(PgSettings {
        idle_timeout: Duration::from_millis(200),
        ..db.settings()
    })
    .unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.pool_stats().unwrap().size, 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(store.pool_stats().unwrap().size, 0);
    store.ping().await.unwrap();
}

#[tokio::test]
async fn pool_stats_follow_the_pool() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let stats = store.pool_stats().unwrap();
    assert_eq!((stats.max_size, stats.size), (4, 0));
    store.ping().await.unwrap();
    let stats = store.pool_stats().unwrap();
    assert_eq!((stats.size, stats.available, stats.waiting), (1, 1, 0));
}

#[tokio::test]
async fn a_closed_store_is_unavailable() {
    let db = TestDatabase::create().await;
    let store = db.store();
    store.ping().await.unwrap();
    store.close();
    unavailable_in_time(store.ping()).await;
    unavailable_in_time(store.find_by_id(UserId::generate())).await;
}

/// Against a server with TLS on (Debian's default: a self-signed "snakeoil"
/// certificate naming a host, never an IP address): `require` trusts the
/// certificate once it is given as a root, whatever name it bears, and
/// `verify-full` refuses it for 127.0.0.1. Against a server with TLS off,
/// both refuse to fall back to plain text.
#[tokio::test]
async fn tls_modes_verify_what_they_promise() {
    let db = TestDatabase::create().await;
    let client = db.client().await;
    let setting = |name: &'static str| {
        let client = &client;
        async move {
            let row = client
                .query_one(&format!("SHOW {name}"), &[])
                .await
                .unwrap();
            row.get::<_, String>(0)
        }
    };
    let tls_on = setting("ssl").await == "on";
    let certificate = setting("ssl_cert_file").await;
    let connect = |ssl_mode, ssl_root_cert: Option<String>| {
        PgStore::connect(PgSettings {
            connection: db.url().replace("host='localhost'", "host='127.0.0.1'"),
            ssl_mode,
            ssl_root_cert: ssl_root_cert.map(Into::into),
            ..db.settings()
        })
        .unwrap()
    };
    let root = tls_on.then_some(certificate);
    let require = connect(SslMode::Require, root.clone()).ping().await;
    let verify_full = connect(SslMode::VerifyFull, root).ping().await;
    if tls_on {
        require.unwrap();
    } else {
        assert!(
            matches!(require, Err(RepositoryError::Unavailable(_))),
            "{require:?}"
        );
    }
    assert!(
        matches!(verify_full, Err(RepositoryError::Unavailable(_))),
        "{verify_full:?}"
    );
}

#[tokio::test]
async fn bad_settings_stop_the_start() {
    let db = TestDatabase::create().await;
    let garbage = PgStore::connect(settings("host=".to_owned() + "'unterminated"));
    assert!(
        matches!(garbage, Err(PgError::Connection(_))),
        "{garbage:?}"
    );

    let missing = PgStore::connect(PgSettings {
        ssl_mode: SslMode::VerifyFull,
        ssl_root_cert: Some("/nonexistent/root.crt".into()),
        ..db.settings()
    });
    assert!(matches!(missing, Err(PgError::Tls(_))), "{missing:?}");

    let not_pem = std::env::temp_dir().join(format!("trellis-not-pem-{}", UserId::generate()));
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let empty = PgStore::connect(PgSettings {
        ssl_mode: SslMode::Require,
        ssl_root_cert: Some(not_pem.clone()),
        ..db.settings()
    });
    std::fs::remove_file(not_pem).unwrap();
    assert!(matches!(empty, Err(PgError::Tls(_))), "{empty:?}");
}
