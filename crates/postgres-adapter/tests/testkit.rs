//! The test databases themselves.

use trellis_ports::StoreHealth;
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

#[tokio::test]
async fn a_test_database_is_migrated_reachable_through_its_address_and_dropped() {
    let db = TestDatabase::create().await;
    assert_eq!(
        db.applied_migrations().await,
        TestDatabase::embedded_migrations().len()
    );
    let via = PgStore::connect(PgSettings {
        connection: db.url_via(db.server_addr()).parse().unwrap(),
        ..db.settings()
    })
    .unwrap();
    via.ping().await.unwrap();
    via.close();

    let witness = TestDatabase::create_empty().await;
    let name = db.name().to_owned();
    drop(db);
    let left: i64 = witness
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}
