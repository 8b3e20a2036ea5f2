//! What the adapter lets out: slow statements by their first 80
//! characters, database errors by their SQLSTATE and names; never a value.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};
use support::new_user;
use trellis_ports::{RepositoryError, UserRepository};
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

/// Log output, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn slow_statements_are_logged_by_their_first_80_characters_only() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDatabase::create().await;
    let store = PgStore::connect(PgSettings {
        slow_query: Duration::ZERO,
        ..db.settings()
    })
    .unwrap();
    let registration = new_user("secretive@example.com");
    UserRepository::create(&store, registration.clone())
        .await
        .unwrap();
    store
        .find_credentials(&registration.email)
        .await
        .unwrap()
        .unwrap();
    let again = UserRepository::create(&store, new_user("secretive@example.com")).await;
    assert!(
        matches!(again, Err(RepositoryError::EmailTaken)),
        "{again:?}"
    );

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let insert: String = "INSERT INTO users (id, email, password_hash, full_name, role) VALUES \
                          ($1, $2, $3, $4, $5) RETURNING"
        .chars()
        .take(80)
        .collect();
    assert!(
        log.contains(&format!("slow query sql={insert} duration_ms=")),
        "{log}"
    );
    assert!(log.contains("rows=1"), "{log}");
    assert!(!log.contains("secretive"), "{log}");
    assert!(!log.contains(registration.password_hash.expose()), "{log}");
}

/// A failure the server reports with the whole row in its `DETAIL` (a
/// check violation) travels up as its SQLSTATE and the names involved,
/// never the message, the detail or a value.
#[tokio::test]
async fn a_server_side_failure_carries_its_sqlstate_and_names_never_the_row() {
    let db = TestDatabase::create().await;
    db.client()
        .await
        .batch_execute(
            "ALTER TABLE users ADD CONSTRAINT no_canaries CHECK (full_name <> 'Canary Row Value')",
        )
        .await
        .unwrap();
    let store = db.store();
    let mut canary = new_user("canary-address@example.com");
    canary.full_name = trellis_domain::FullName::parse("Canary Row Value").unwrap();
    let failed = UserRepository::create(&store, canary.clone()).await;
    let Err(RepositoryError::Internal(cause)) = &failed else {
        panic!("expected an internal error, got {failed:?}");
    };
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(next) = source {
        chain.push_str(&format!(": {next}"));
        source = next.source();
    }
    let debug = format!("{failed:?}");
    for shown in [&chain, &debug] {
        assert!(shown.contains("23514"), "{shown}");
        assert!(
            shown.contains("users") && shown.contains("no_canaries"),
            "{shown}"
        );
        for secret in [
            "Canary Row Value",
            "canary-address",
            canary.password_hash.expose(),
            "Failing row",
            "violates",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
