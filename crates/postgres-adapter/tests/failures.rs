//! What the store answers when PostgreSQL is slow, gone or misconfigured.

mod support;

use std::time::{Duration, Instant};
use support::{named, user};
use tokio::net::TcpListener;
use trellis_domain::{PageRequest, ProjectPatch, ProjectStatus, UserId};
use trellis_ports::{ProjectRepository, RepositoryError, StoreHealth, UserRepository};
use trellis_postgres::{
    ConnectionString, PgError, PgSettings, PgStore, SslMode, testkit::TestDatabase,
};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a busy machine.
const SLACK: Duration = Duration::from_millis(400);

fn settings(connection: String) -> PgSettings {
    PgSettings {
        connection: connection.parse().expect("a connection string"),
        pool_max: 2,
        connect_timeout: CONNECT_TIMEOUT,
        idle_timeout: Duration::from_secs(30),
        query_timeout: Duration::from_secs(2),
        slow_query: Duration::from_secs(1),
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
        &trellis_domain::ProjectFilter::default(),
        trellis_domain::ProjectSort::default(),
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
    let outcome = store.update(ada.id, project.id, &patch, None).await;
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
        .update(ada.id, project.id, &patch, None)
        .await
        .unwrap()
        .done()
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

/// Against the local server, which has TLS on with Debian's self-signed
/// "snakeoil" certificate (for `localhost`), each libpq `sslmode` does what
/// libpq's does, as PostgreSQL itself reports in `pg_stat_ssl` for the
/// store's connections: `disable` is plain; `prefer` and `require` encrypt
/// without checking the certificate; `require` with an `sslrootcert`
/// checks the chain against it alone, like `verify-ca` (the certificate
/// itself passes, another authority does not); `verify-full` also checks
/// the name (`localhost` passes, `127.0.0.1` does not).
#[tokio::test]
async fn each_sslmode_does_what_libpqs_does() {
    let db = TestDatabase::create().await;
    let client = db.client().await;
    let row = client.query_one("SHOW ssl", &[]).await.unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        "on",
        "this test needs a server with TLS on (ssl = on)"
    );
    let certificate: String = client
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .unwrap()
        .get(0);
    let base = db.url_via(db.server_addr());
    let tls_of = async |options: &str| -> Result<bool, RepositoryError> {
        let store = PgStore::connect(PgSettings {
            connection: format!("{base} {options}").parse().unwrap(),
            ..db.settings()
        })
        .unwrap();
        store.ping().await?;
        let row = client
            .query_one(
                "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.datname = $1 AND a.application_name = 'trellis'",
                &[&db.name()],
            )
            .await
            .unwrap();
        store.close();
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(row.get::<_, bool>(0))
    };
    let root = format!("sslrootcert='{certificate}'");
    let other_authority =
        std::env::temp_dir().join(format!("trellis-other-ca-{}", UserId::generate()));
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt")
        .expect("Debian's ca-certificates bundle");
    let end = "-----END CERTIFICATE-----";
    let first = &bundle[..bundle.find(end).expect("a certificate") + end.len()];
    std::fs::write(&other_authority, first).unwrap();
    let other = format!("sslrootcert='{}'", other_authority.display());
    assert!(!tls_of("sslmode=disable").await.unwrap());
    assert!(tls_of("sslmode=prefer").await.unwrap());
    assert!(tls_of("sslmode=require").await.unwrap());
    assert!(tls_of(&format!("sslmode=require {root}")).await.unwrap());
    assert!(tls_of(&format!("sslmode=verify-ca {root}")).await.unwrap());
    assert!(
        tls_of(&format!("sslmode=verify-full {root} host=localhost"))
            .await
            .unwrap()
    );
    let refusals = [
        format!("sslmode=require {other}"),
        format!("sslmode=verify-ca {other}"),
        format!("sslmode=verify-full {root}"),
    ];
    for refused in refusals {
        let outcome = tls_of(&refused).await;
        assert!(
            matches!(outcome, Err(RepositoryError::Unavailable(_))),
            "{refused}: {outcome:?}"
        );
    }
    std::fs::remove_file(other_authority).unwrap();
}

#[tokio::test]
async fn bad_settings_stop_the_start() {
    let db = TestDatabase::create().await;
    let garbage = "host=".to_owned() + "'unterminated";
    assert!(garbage.parse::<ConnectionString>().is_err());

    let mut connection = db.settings().connection;
    connection.set_ssl_mode(SslMode::VerifyFull);
    connection.set_ssl_root_cert("/nonexistent/root.crt".into());
    let missing = PgStore::connect(PgSettings {
        connection,
        ..db.settings()
    });
    assert!(matches!(missing, Err(PgError::Tls(_))), "{missing:?}");

    let not_pem = std::env::temp_dir().join(format!("trellis-not-pem-{}", UserId::generate()));
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let mut connection = db.settings().connection;
    connection.set_ssl_mode(SslMode::Require);
    connection.set_ssl_root_cert(not_pem.clone());
    let empty = PgStore::connect(PgSettings {
        connection,
        ..db.settings()
    });
    std::fs::remove_file(not_pem).unwrap();
    assert!(matches!(empty, Err(PgError::Tls(_))), "{empty:?}");
}
