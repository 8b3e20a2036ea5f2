//! The contract of [`UserRepository`](crate::UserRepository).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Repos, email, new_user, user};
use crate::RepositoryError;
use trellis_domain::{FullName, PageRequest, PasswordHash, ProfilePatch, Role, UserId};

/// Created accounts come back as stored, and are found by id and e-mail.
pub async fn user_round_trip(repos: Repos) {
    let created = user(&repos, "ada@example.com").await;
    assert_eq!(created.email.as_str(), "ada@example.com");
    assert_eq!(created.role, Role::User);
    assert_eq!(created.created_at, created.updated_at);
    let by_id = repos.users.find_by_id(created.id).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&created));
    let by_email = repos.users.find_by_email(&created.email).await.unwrap();
    assert_eq!(by_email.as_ref(), Some(&created));
    let (found, hash) = repos
        .users
        .find_credentials(&created.email)
        .await
        .unwrap()
        .expect("credentials");
    assert_eq!(found, created);
    assert!(hash.expose().starts_with("$2b$04$"));
    assert!(
        repos
            .users
            .find_by_id(UserId::generate())
            .await
            .unwrap()
            .is_none()
    );
    let nobody = email("nobody@example.com");
    assert!(
        repos
            .users
            .find_credentials(&nobody)
            .await
            .unwrap()
            .is_none()
    );
}

/// A second account with the same e-mail, in any case, is refused.
pub async fn email_is_unique_in_any_case(repos: Repos) {
    user(&repos, "ada@example.com").await;
    let again = repos.users.create(new_user("ADA@Example.com")).await;
    assert!(
        matches!(again, Err(RepositoryError::EmailTaken)),
        "{again:?}"
    );
}

/// Racing registrations of one e-mail: exactly one wins, the rest are
/// `EmailTaken`.
pub async fn concurrent_registrations_of_one_email_leave_one_account(repos: Repos) {
    let attempts = (0..8).map(|_| {
        let users = repos.users.clone();
        tokio::spawn(async move { users.create(new_user("race@example.com")).await })
    });
    let mut created = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(RepositoryError::EmailTaken) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
}

/// A profile patch changes only what it carries, and bumps `updated_at`.
pub async fn profile_patch_changes_only_present_fields(repos: Repos) {
    let created = user(&repos, "ada@example.com").await;
    let renamed = repos
        .users
        .update_profile(
            created.id,
            &ProfilePatch {
                full_name: Some(FullName::parse("Countess").unwrap()),
                email: None,
            },
        )
        .await
        .unwrap()
        .expect("user");
    assert_eq!(renamed.full_name.as_str(), "Countess");
    assert_eq!(renamed.email, created.email);
    assert!(renamed.updated_at >= created.updated_at);
    assert_eq!(renamed.created_at, created.created_at);
    let moved = repos
        .users
        .update_profile(
            created.id,
            &ProfilePatch {
                full_name: None,
                email: Some(email("countess@example.com")),
            },
        )
        .await
        .unwrap()
        .expect("user");
    assert_eq!(moved.full_name.as_str(), "Countess");
    assert_eq!(moved.email.as_str(), "countess@example.com");
    assert!(
        repos
            .users
            .find_by_email(&created.email)
            .await
            .unwrap()
            .is_none()
    );
    let missing = repos
        .users
        .update_profile(UserId::generate(), &moved_patch())
        .await
        .unwrap();
    assert!(missing.is_none());
}

fn moved_patch() -> ProfilePatch {
    ProfilePatch {
        full_name: Some(FullName::parse("X").unwrap()),
        email: None,
    }
}

/// Moving to another account's e-mail is refused; keeping one's own is fine.
pub async fn profile_patch_to_a_taken_email_is_refused(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    user(&repos, "grace@example.com").await;
    let taken = repos
        .users
        .update_profile(
            ada.id,
            &ProfilePatch {
                full_name: None,
                email: Some(email("Grace@example.com")),
            },
        )
        .await;
    assert!(
        matches!(taken, Err(RepositoryError::EmailTaken)),
        "{taken:?}"
    );
    let same = repos
        .users
        .update_profile(
            ada.id,
            &ProfilePatch {
                full_name: None,
                email: Some(email("ada@example.com")),
            },
        )
        .await
        .unwrap();
    assert!(same.is_some());
}

/// Roles change; operations on a missing account say so.
pub async fn set_role_and_missing_users(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let admin = repos
        .users
        .set_role(ada.id, Role::Admin)
        .await
        .unwrap()
        .expect("user");
    assert_eq!(admin.role, Role::Admin);
    let stored = repos.users.find_by_id(ada.id).await.unwrap().expect("user");
    assert_eq!(stored.role, Role::Admin);
    assert!(
        repos
            .users
            .set_role(UserId::generate(), Role::Admin)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!repos.users.delete(UserId::generate()).await.unwrap());
    assert!(repos.users.delete(ada.id).await.unwrap());
    assert!(repos.users.find_by_id(ada.id).await.unwrap().is_none());
}

/// A new password hash replaces the old one; a missing account says so.
pub async fn password_hash_is_replaced(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let fresh = PasswordHash::new("$2b$12$anotherFakeHashForTheContractTestsOfTrellis".into());
    assert!(
        repos
            .users
            .set_password_hash(ada.id, fresh.clone())
            .await
            .unwrap()
    );
    let (_, stored) = repos
        .users
        .find_credentials(&ada.email)
        .await
        .unwrap()
        .expect("credentials");
    assert!(stored == fresh, "the new hash is stored");
    assert!(
        !repos
            .users
            .set_password_hash(UserId::generate(), fresh)
            .await
            .unwrap()
    );
}

/// All accounts, newest first, with the total.
pub async fn users_are_paged_newest_first_with_totals(repos: Repos) {
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(user(&repos, &format!("user{n}@example.com")).await);
    }
    let first = repos
        .users
        .page(PageRequest::new(1, 2).unwrap())
        .await
        .unwrap();
    assert_eq!(first.total, 5);
    assert_eq!(first.total_pages(), 3);
    let last = repos
        .users
        .page(PageRequest::new(3, 2).unwrap())
        .await
        .unwrap();
    assert_eq!(last.items.len(), 1);
    let all = repos
        .users
        .page(PageRequest::new(1, 100).unwrap())
        .await
        .unwrap();
    assert_order(
        &all.items
            .iter()
            .map(|u| (u.created_at, u.id.as_uuid()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(all.items.len(), 5);
}

pub(crate) fn assert_order(keys: &[(time::OffsetDateTime, uuid::Uuid)]) {
    for pair in keys.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            a.0 > b.0 || (a.0 == b.0 && a.1 < b.1),
            "not newest first with id tie-break: {a:?} then {b:?}"
        );
    }
}
