//! The contract of [`CounterStore`](crate::CounterStore), run with
//! [`counter_contract!`](crate::counter_contract) over a fresh store per case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::CounterStore;
use std::{sync::Arc, time::Duration};

/// Runs every counter case against stores made by `$make` (an async
/// expression evaluating to an `Arc<dyn CounterStore>`).
#[macro_export]
macro_rules! counter_contract {
    ($make:expr) => {
        $crate::counter_contract!(@cases $make;
            hits_count_within_a_window_and_restart_after_it,
            peeking_does_not_count,
            concurrent_hits_all_count,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store: std::sync::Arc<dyn $crate::CounterStore> = $make.await;
                $crate::testkit::$case(store).await;
            }
        )+
    };
}

/// A key no other case (or earlier run against a shared server) uses.
fn fresh_key(case: &str) -> String {
    format!("contract:{case}:{}", uuid::Uuid::new_v4())
}

/// Hits in one window count up; once it ends, the next hit starts over.
pub async fn hits_count_within_a_window_and_restart_after_it(store: Arc<dyn CounterStore>) {
    let key = fresh_key("window");
    let window = Duration::from_millis(400);
    let first = store.hit(&key, window).await.unwrap();
    assert_eq!(first.count, 1);
    assert!(first.resets_in <= window && first.resets_in > Duration::ZERO);
    assert_eq!(store.hit(&key, window).await.unwrap().count, 2);
    assert_eq!(
        store.hit(&fresh_key("other"), window).await.unwrap().count,
        1
    );
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    assert_eq!(store.hit(&key, window).await.unwrap().count, 1);
}

/// `peek` shows the running window without counting, and nothing for a
/// key without one.
pub async fn peeking_does_not_count(store: Arc<dyn CounterStore>) {
    let key = fresh_key("peek");
    assert_eq!(store.peek(&key).await.unwrap(), None);
    store.hit(&key, Duration::from_secs(60)).await.unwrap();
    store.hit(&key, Duration::from_secs(60)).await.unwrap();
    let seen = store.peek(&key).await.unwrap().expect("a running window");
    assert_eq!(seen.count, 2);
    assert!(seen.resets_in > Duration::from_secs(58));
    assert_eq!(
        store.peek(&key).await.unwrap().map(|hit| hit.count),
        Some(2)
    );
}

/// Hits racing on one key are all counted.
pub async fn concurrent_hits_all_count(store: Arc<dyn CounterStore>) {
    let key = fresh_key("race");
    let hits: Vec<_> = (0..50)
        .map(|_| {
            let (store, key) = (Arc::clone(&store), key.clone());
            tokio::spawn(async move { store.hit(&key, Duration::from_secs(60)).await })
        })
        .collect();
    let mut counts = Vec::new();
    for hit in hits {
        counts.push(hit.await.unwrap().unwrap().count);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=50).collect::<Vec<u64>>());
}
