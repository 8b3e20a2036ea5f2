//! 100,000 ended sessions held by one instance: what they cost in memory
//! and per check. Alone in its binary, so that the resident-set
//! measurements see only it.

#![allow(clippy::unwrap_used)] // test helpers, like the tests, may panic

use std::time::{Duration, Instant};
use trellis_domain::SessionId;
use trellis_ports::Revocations;
use trellis_services::RevocationList;

const ENDED: usize = 100_000;

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_hundred_thousand_ended_sessions_fit_in_a_few_megabytes() {
    let ids: Vec<SessionId> = (0..ENDED).map(|_| SessionId::generate()).collect();
    let strangers: Vec<SessionId> = (0..ENDED).map(|_| SessionId::generate()).collect();
    let list = RevocationList::new(Duration::from_secs(24 * 3600));
    let now = time::OffsetDateTime::now_utc();

    let before = rss_kib();
    for id in &ids {
        list.insert(*id, now);
    }
    let grown = rss_kib().saturating_sub(before);
    assert_eq!(list.len(), ENDED);

    let started = Instant::now();
    let refused = ids.iter().filter(|id| list.is_revoked(**id)).count();
    let served = strangers.iter().filter(|id| !list.is_revoked(**id)).count();
    let per_check = started.elapsed() / (2 * ENDED as u32);
    assert_eq!((refused, served), (ENDED, ENDED));

    eprintln!(
        "{ENDED} ended sessions: +{grown} KiB resident ({} bytes each), {per_check:?} per check",
        grown * 1024 / ENDED as u64
    );
    assert!(grown < 16 * 1024, "{grown} KiB for {ENDED} ended sessions");
    assert!(
        per_check < Duration::from_micros(5),
        "{per_check:?} per check"
    );
}
