//! The embedded migrations.

use trellis_postgres::{migrate, testkit::TestDatabase};

#[tokio::test]
async fn two_processes_migrating_one_empty_database_both_succeed_and_apply_it_once() {
    let db = TestDatabase::create_empty().await;
    for _ in 0..3 {
        let (first, second) = (db.store(), db.store());
        let (a, b) = tokio::join!(migrate(&first), migrate(&second));
        a.unwrap();
        b.unwrap();
    }
    let client = db.client().await;
    let applied: Vec<(i32, String)> = client
        .query(
            "SELECT version, name FROM refinery_schema_history ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(applied, TestDatabase::embedded_migrations());
    assert_eq!(applied[0], (1, "initial_schema".to_owned()));
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name IN ('users', 'projects') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(tables, ["projects", "users"]);
}

#[tokio::test]
async fn migrating_an_up_to_date_database_changes_nothing() {
    let db = TestDatabase::create().await;
    migrate(&db.store()).await.unwrap();
    let count: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count as usize, TestDatabase::embedded_migrations().len());
}
