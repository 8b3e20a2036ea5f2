//! The contract of [`SessionRepository`](crate::SessionRepository).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Repos, user};
use crate::{NewSession, Rotation};
use std::{sync::Arc, time::Duration};
use trellis_domain::{ClientInfo, SessionId, TokenDigest, UserAgent, UserId};

const GRACE: Duration = Duration::from_secs(10);

fn digest(n: u8) -> TokenDigest {
    TokenDigest([n; 32])
}

fn new_session(owner: UserId, token: u8, days: i64) -> NewSession {
    NewSession {
        id: SessionId::generate(),
        user_id: owner,
        token: digest(token),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(days),
        client: ClientInfo {
            user_agent: UserAgent::from_header("contract/1.0"),
            ip: Some("203.0.113.7".parse().unwrap()),
        },
    }
}

/// Sessions are stored as given and listed live only, newest first.
pub async fn sessions_are_listed_newest_first(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let first = repos
        .sessions
        .create(new_session(ada.id, 1, 30))
        .await
        .unwrap();
    let second = repos
        .sessions
        .create(new_session(ada.id, 2, 30))
        .await
        .unwrap();
    repos
        .sessions
        .create(new_session(ada.id, 3, -1))
        .await
        .unwrap();
    assert_eq!(first.user_agent.as_ref().unwrap().as_str(), "contract/1.0");
    assert_eq!(first.ip, Some("203.0.113.7".parse().unwrap()));
    assert_eq!(first.created_at, first.last_used_at);
    let listed: Vec<SessionId> = repos
        .sessions
        .active(ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(
        listed,
        [second.id, first.id],
        "expired sessions are not listed"
    );
    let bob = user(&repos, "bob@example.com").await;
    assert!(repos.sessions.active(bob.id).await.unwrap().is_empty());
}

/// A live token rotates once; within the grace it replays; after, its
/// session ends; unknown and expired tokens are invalid.
pub async fn tokens_rotate_replay_and_betray_a_thief(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let session = repos
        .sessions
        .create(new_session(ada.id, 1, 30))
        .await
        .unwrap();
    let client = ClientInfo::default();
    let rotated = repos
        .sessions
        .rotate(digest(1), digest(2), GRACE, &client)
        .await
        .unwrap();
    let Rotation::Rotated(after) = rotated else {
        panic!("{rotated:?}");
    };
    assert_eq!(after.id, session.id);
    assert!(after.last_used_at > session.last_used_at);
    assert_eq!(
        after.user_agent, session.user_agent,
        "a refresh without one keeps it"
    );
    match repos
        .sessions
        .rotate(digest(1), digest(3), GRACE, &client)
        .await
        .unwrap()
    {
        Rotation::Replayed { session: again, .. } => assert_eq!(again.id, session.id),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        repos
            .sessions
            .rotate(digest(2), digest(3), GRACE, &client)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    // Token 1 again, now with no grace left: stolen, the session ends.
    assert_eq!(
        repos
            .sessions
            .rotate(digest(1), digest(4), Duration::ZERO, &client)
            .await
            .unwrap(),
        Rotation::Reused
    );
    assert!(repos.sessions.active(ada.id).await.unwrap().is_empty());
    assert_eq!(
        repos
            .sessions
            .rotate(digest(3), digest(5), GRACE, &client)
            .await
            .unwrap(),
        Rotation::Invalid,
        "the live token of an ended session is invalid"
    );
    assert_eq!(
        repos
            .sessions
            .rotate(digest(99), digest(98), GRACE, &client)
            .await
            .unwrap(),
        Rotation::Invalid
    );
    repos
        .sessions
        .create(new_session(ada.id, 50, -1))
        .await
        .unwrap();
    assert_eq!(
        repos
            .sessions
            .rotate(digest(50), digest(51), GRACE, &client)
            .await
            .unwrap(),
        Rotation::Invalid,
        "an expired session"
    );
}

/// Rotations of one token racing each other: one successor, the rest replays.
pub async fn racing_rotations_leave_one_successor(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    repos
        .sessions
        .create(new_session(ada.id, 1, 30))
        .await
        .unwrap();
    let races: Vec<_> = (0..16u8)
        .map(|n| {
            let sessions = Arc::clone(&repos.sessions);
            tokio::spawn(async move {
                sessions
                    .rotate(digest(1), digest(100 + n), GRACE, &ClientInfo::default())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut rotated = Vec::new();
    for (n, race) in races.into_iter().enumerate() {
        match race.await.unwrap() {
            Rotation::Rotated(_) => rotated.push(n as u8),
            Rotation::Replayed { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    let live: Vec<u8> = (0..16u8).filter(|n| !rotated.contains(n)).collect();
    for n in live {
        assert_eq!(
            repos
                .sessions
                .rotate(digest(100 + n), digest(200), GRACE, &ClientInfo::default())
                .await
                .unwrap(),
            Rotation::Invalid,
            "a loser's successor was never stored"
        );
    }
}

/// Ending one, ending all, another's session, and what a resync sees.
pub async fn sessions_end_one_or_all_and_only_the_owners(repos: Repos) {
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let ada = user(&repos, "ada@example.com").await;
    let bob = user(&repos, "bob@example.com").await;
    let one = repos
        .sessions
        .create(new_session(ada.id, 1, 30))
        .await
        .unwrap();
    let two = repos
        .sessions
        .create(new_session(ada.id, 2, 30))
        .await
        .unwrap();
    let bobs = repos
        .sessions
        .create(new_session(bob.id, 3, 30))
        .await
        .unwrap();
    assert_eq!(
        repos.sessions.revoke(bob.id, one.id).await.unwrap(),
        None,
        "not bob's"
    );
    let ended_one = repos.sessions.revoke(ada.id, one.id).await.unwrap();
    assert_eq!(ended_one.map(|revoked| revoked.id), Some(one.id));
    assert_eq!(
        repos.sessions.revoke(ada.id, one.id).await.unwrap(),
        None,
        "already ended"
    );
    assert_eq!(
        repos
            .sessions
            .revoke(ada.id, SessionId::generate())
            .await
            .unwrap(),
        None
    );
    let ended_all = repos.sessions.revoke_all(ada.id).await.unwrap();
    assert_eq!(
        ended_all
            .iter()
            .map(|revoked| revoked.id)
            .collect::<Vec<_>>(),
        [two.id]
    );
    assert!(repos.sessions.active(ada.id).await.unwrap().is_empty());
    assert_eq!(repos.sessions.active(bob.id).await.unwrap().len(), 1);
    let mut ended: Vec<SessionId> = repos
        .sessions
        .revoked_since(before)
        .await
        .unwrap()
        .into_iter()
        .map(|revoked| revoked.id)
        .collect();
    ended.sort();
    let mut expected = vec![one.id, two.id];
    expected.sort();
    assert_eq!(ended, expected);
    assert!(!ended.contains(&bobs.id));
    let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    assert!(
        repos
            .sessions
            .revoked_since(later)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Expired sessions are swept; deleting an account deletes its sessions.
pub async fn expired_sessions_are_swept_and_go_with_their_owner(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    repos
        .sessions
        .create(new_session(ada.id, 1, -2))
        .await
        .unwrap();
    repos
        .sessions
        .create(new_session(ada.id, 2, 30))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(repos.sessions.sweep(now).await.unwrap(), 1);
    assert_eq!(repos.sessions.sweep(now).await.unwrap(), 0);
    assert!(repos.users.delete(ada.id).await.unwrap());
    assert_eq!(
        repos
            .sessions
            .rotate(digest(2), digest(3), GRACE, &ClientInfo::default())
            .await
            .unwrap(),
        Rotation::Invalid
    );
    assert!(
        repos
            .sessions
            .create(new_session(ada.id, 4, 30))
            .await
            .is_err(),
        "no session for a missing account"
    );
}
