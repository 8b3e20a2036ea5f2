//! The contract of [`IdempotencyKeys`](crate::IdempotencyKeys): claims,
//! answers, mismatches, leases, retention, and one winner of a race.

use super::{Repos, project_named, user};
use crate::{CLAIM_LEASE, Claim, ClaimToken, KEY_RETENTION};
use std::time::Duration;
use trellis_domain::{
    IdempotencyKey, ProjectFilter, ProjectName, ProjectPatch, RequestFingerprint, Timestamp,
};

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

fn fingerprint(byte: u8) -> RequestFingerprint {
    RequestFingerprint::from_bytes([byte; 32])
}

/// PostgreSQL's precision, so an instant read back compares equal.
fn now() -> Timestamp {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap()
}

fn claimed(claim: Claim) -> ClaimToken {
    match claim {
        Claim::Claimed(token) => token,
        other => panic!("expected the key to be claimed, got {other:?}"),
    }
}

async fn project_count(repos: &Repos, owner: trellis_domain::UserId) -> u64 {
    repos
        .projects
        .page(
            owner,
            &ProjectFilter::default(),
            Default::default(),
            trellis_domain::PageRequest::new(1, 100).unwrap(),
        )
        .await
        .unwrap()
        .total
}

/// A claimed key is running until its create answers; then the same
/// fingerprint gets the project as created (even after it changed), another
/// fingerprint a mismatch, and another owner's same key is a key of its own.
pub async fn claimed_keys_run_once_then_answer_as_created(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let grace = user(&repos, "grace@example.com").await;
    let k = key("order-1");
    let token = claimed(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(1), now())
            .await
            .unwrap(),
    );
    assert_eq!(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(1), now())
            .await
            .unwrap(),
        Claim::Running
    );
    assert_eq!(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(2), now())
            .await
            .unwrap(),
        Claim::Mismatch
    );
    let created = repos
        .keys
        .create_claimed(ada.id, &k, token, project_named("Apollo"))
        .await
        .unwrap()
        .expect("the holder creates");
    assert_eq!(
        repos.projects.find(ada.id, created.id).await.unwrap(),
        Some(created.clone()),
        "the project is stored like any other"
    );
    let renamed = ProjectPatch {
        name: Some(ProjectName::parse("Apollo 2").unwrap()),
        ..ProjectPatch::default()
    };
    repos
        .projects
        .update(ada.id, created.id, &renamed, None)
        .await
        .unwrap();
    assert_eq!(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(1), now())
            .await
            .unwrap(),
        Claim::Answered(created.clone()),
        "the answer is the project as the first request created it"
    );
    assert_eq!(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(2), now())
            .await
            .unwrap(),
        Claim::Mismatch
    );
    assert_eq!(
        repos
            .keys
            .create_claimed(ada.id, &k, token, project_named("Twice"))
            .await
            .unwrap(),
        None,
        "an answered claim creates nothing more"
    );
    claimed(
        repos
            .keys
            .claim(grace.id, &k, fingerprint(2), now())
            .await
            .unwrap(),
    );
    assert_eq!(project_count(&repos, ada.id).await, 1);
}

/// A released claim frees the key; a claim not answered within the lease is
/// abandoned and taken over, after which the old holder creates nothing; a
/// key older than the retention is new again, and is swept.
pub async fn keys_are_released_abandoned_expired_and_swept(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let k = key("retry-me");
    let start = now();
    let first = claimed(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(1), start)
            .await
            .unwrap(),
    );
    repos.keys.release(ada.id, &k, first).await.unwrap();
    let second = claimed(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(2), start)
            .await
            .unwrap(),
    );
    repos.keys.release(ada.id, &k, first).await.unwrap();
    assert_eq!(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(2), start)
            .await
            .unwrap(),
        Claim::Running,
        "a stale token releases nothing"
    );
    let later = start + CLAIM_LEASE + Duration::from_secs(1);
    let third = claimed(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(2), later)
            .await
            .unwrap(),
    );
    assert_eq!(
        repos
            .keys
            .create_claimed(ada.id, &k, second, project_named("Late"))
            .await
            .unwrap(),
        None,
        "a claim taken over creates nothing"
    );
    let created = repos
        .keys
        .create_claimed(ada.id, &k, third, project_named("On time"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project_count(&repos, ada.id).await, 1);
    let next_day = later + KEY_RETENTION + Duration::from_secs(1);
    claimed(
        repos
            .keys
            .claim(ada.id, &k, fingerprint(1), next_day)
            .await
            .unwrap(),
    );
    let other = key("other");
    repos
        .keys
        .claim(ada.id, &other, fingerprint(1), later)
        .await
        .unwrap();
    assert_eq!(
        repos
            .keys
            .sweep_keys(later + Duration::from_secs(1))
            .await
            .unwrap(),
        1,
        "only the key claimed before the cut is swept"
    );
    claimed(
        repos
            .keys
            .claim(ada.id, &other, fingerprint(9), later)
            .await
            .unwrap(),
    );
    assert!(
        repos
            .projects
            .find(ada.id, created.id)
            .await
            .unwrap()
            .is_some()
    );
}

/// Of many requests racing for one key, exactly one claims it; the others
/// see it running or answered. Keys go with their owner's account.
pub async fn racing_claims_leave_one_holder_and_keys_go_with_their_owner(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let k = key("race");
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let (keys, k) = (repos.keys.clone(), k.clone());
            tokio::spawn(async move {
                match keys.claim(ada.id, &k, fingerprint(1), now()).await.unwrap() {
                    Claim::Claimed(token) => keys
                        .create_claimed(ada.id, &k, token, project_named("Once"))
                        .await
                        .unwrap()
                        .map(|_| true),
                    Claim::Running | Claim::Answered(_) => Some(false),
                    Claim::Mismatch => None,
                }
            })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Some(true) => created += 1,
            Some(false) => {}
            None => panic!("the same fingerprint is never a mismatch"),
        }
    }
    assert_eq!(created, 1, "exactly one racer creates");
    assert_eq!(project_count(&repos, ada.id).await, 1);
    assert!(repos.users.delete(ada.id).await.unwrap());
    assert!(matches!(
        repos.keys.claim(ada.id, &k, fingerprint(1), now()).await,
        Err(crate::RepositoryError::ReferenceMissing { .. })
    ));
}
