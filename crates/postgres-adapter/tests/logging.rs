//! What the adapter writes to the log: slow statements by their first 80
//! characters, database errors by their constraint; never a value.

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
async fn slow_statements_and_database_errors_are_logged_without_values() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
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
    assert!(
        log.contains("constraint=\"users_email_lower_key\""),
        "{log}"
    );
    assert!(!log.contains("secretive"), "{log}");
    assert!(!log.contains(registration.password_hash.expose()), "{log}");
}
