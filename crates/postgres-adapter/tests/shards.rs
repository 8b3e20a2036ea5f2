//! A pool split per serving thread: each such thread opens and uses
//! connections of its own shard, every other thread shares one more.

#![allow(clippy::unwrap_used)] // tests may panic

use trellis_ports::StoreHealth;
use trellis_postgres::{PgStore, testkit::TestDatabase};

/// `store`'s open connections.
fn open(store: &PgStore) -> usize {
    store.pool_stats().unwrap().size
}

#[tokio::test]
async fn each_serving_thread_opens_connections_of_its_own_shard() {
    let database = TestDatabase::create().await;
    let mut settings = database.settings();
    settings.pool_max = 5;
    let store = PgStore::connect_sharded(settings, 2).unwrap();
    assert_eq!(store.pool_stats().unwrap().max_size, 5);

    // This thread has not said it serves requests: the shared shard.
    store.ping().await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(open(&store), 1);

    // Two serving threads, each on a runtime of its own, as actix's workers:
    // a connection each, opened on (and driven by) that thread.
    for _ in 0..2 {
        let serving = store.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            serving.serve_from_this_thread();
            runtime.block_on(async {
                serving.ping().await.unwrap();
                serving.ping().await.unwrap();
            });
        })
        .join()
        .unwrap();
    }
    assert_eq!(open(&store), 3, "one connection per shard");
}

#[tokio::test]
async fn a_pool_too_small_to_split_is_one_shard() {
    let database = TestDatabase::create().await;
    let mut settings = database.settings();
    settings.pool_max = 2;
    let store = PgStore::connect_sharded(settings, 2).unwrap();
    assert_eq!(store.pool_stats().unwrap().max_size, 2);
    store.serve_from_this_thread();
    store.ping().await.unwrap();
    assert_eq!(open(&store), 1);
}
