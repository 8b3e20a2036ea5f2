//! A flood of distinct client addresses keeps the in-memory counters bounded.
//! Alone in its binary, so that the resident-set measurements see only it.

#![allow(clippy::unwrap_used)] // test helpers, like the tests, may panic

use std::{net::Ipv4Addr, time::Duration};
use trellis_memory::{DEFAULT_COUNTER_CAPACITY as DEFAULT_MEMORY_CAPACITY, MemoryCounters};
use trellis_ports::CounterStore;

const WINDOW: Duration = Duration::from_secs(900);

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `count` distinct clients, starting at `first`, one request each.
async fn flood(counters: &MemoryCounters, first: u32, count: u32) {
    for n in first..first + count {
        let client = Ipv4Addr::from(0x0a00_0000 + n);
        counters
            .hit(&format!("api:{client}"), WINDOW)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_flood_of_distinct_addresses_keeps_memory_bounded() {
    let small = MemoryCounters::new(10_000);
    let before = rss_kib();
    flood(&small, 0, 100_000).await;
    assert!(
        small.len() <= small.capacity(),
        "{} > {}",
        small.len(),
        small.capacity()
    );
    assert!(small.capacity() <= 10_000 + 32);
    let after_first = rss_kib();
    flood(&small, 100_000, 100_000).await;
    assert!(small.len() <= small.capacity());
    let after_second = rss_kib();

    let full = MemoryCounters::new(DEFAULT_MEMORY_CAPACITY);
    let before_full = rss_kib();
    flood(&full, 0, 100_000).await;
    flood(&full, 100_000, 100_000).await;
    assert!(full.len() <= full.capacity());
    let after_full = rss_kib();

    eprintln!(
        "RSS: cap 10k: +{} KiB after 100k addresses, +{} KiB after 100k more; \
         cap {DEFAULT_MEMORY_CAPACITY}: +{} KiB after 200k addresses",
        after_first.saturating_sub(before),
        after_second.saturating_sub(after_first),
        after_full.saturating_sub(before_full),
    );
    // A full table of 10k windows is about 1.4 MB; flooding it again adds
    // next to nothing (evicted keys' memory is reused).
    assert!(after_first.saturating_sub(before) < 4 * 1024);
    assert!(after_second.saturating_sub(after_first) < 1024);
    assert!(after_full.saturating_sub(before_full) < 32 * 1024);
}
