//! The user repository on PostgreSQL.

mod support;

use support::{named, new_user, user};
use trellis_domain::{Email, FullName, PageRequest, ProfilePatch, Role, UserId};
use trellis_ports::{ProjectRepository, RepositoryError, UserRepository};
use trellis_postgres::testkit::TestDatabase;

#[tokio::test]
async fn creates_and_finds_an_account_by_id_email_and_credentials() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let registration = new_user("grace@navy.mil");
    let created = UserRepository::create(&store, registration.clone())
        .await
        .unwrap();
    assert_eq!(created.id, registration.id);
    assert_eq!(created.email, registration.email);
    assert_eq!(created.full_name, registration.full_name);
    assert_eq!(created.role, Role::User);
    assert_eq!(created.created_at, created.updated_at);

    assert_eq!(
        store.find_by_id(created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.find_by_email(&created.email).await.unwrap(),
        Some(created.clone())
    );
    let (user, hash) = store
        .find_credentials(&created.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user, created);
    assert_eq!(hash, registration.password_hash);

    let stranger = Email::parse("nobody@example.com").unwrap();
    assert_eq!(store.find_by_id(UserId::generate()).await.unwrap(), None);
    assert_eq!(store.find_by_email(&stranger).await.unwrap(), None);
    assert!(store.find_credentials(&stranger).await.unwrap().is_none());
}

#[tokio::test]
async fn email_is_unique_whatever_the_case() {
    let db = TestDatabase::create().await;
    let store = db.store();
    // A row written with capitals (as the old service could) still blocks
    // and is still found by the normalized address.
    db.client()
        .await
        .execute(
            "INSERT INTO users (id, email, password_hash, full_name) VALUES ($1, 'Ada@Example.COM', 'x', 'Ada')",
            &[&UserId::generate().as_uuid()],
        )
        .await
        .unwrap();
    let normalized = Email::parse("ada@example.com").unwrap();
    let found = store.find_by_email(&normalized).await.unwrap().unwrap();
    assert_eq!(found.email, normalized);
    assert!(matches!(
        UserRepository::create(&store, new_user("ada@example.com")).await,
        Err(RepositoryError::EmailTaken)
    ));
}

#[tokio::test]
async fn of_two_concurrent_registrations_with_one_email_exactly_one_wins() {
    let db = TestDatabase::create().await;
    let store = db.store();
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let (a, b) = tokio::join!(
            UserRepository::create(&store, new_user(&email)),
            UserRepository::create(&store, new_user(&email))
        );
        let outcomes = [a, b];
        assert_eq!(
            outcomes.iter().filter(|r| r.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|r| matches!(r, Err(RepositoryError::EmailTaken))),
            "{outcomes:?}"
        );
    }
}

#[tokio::test]
async fn updates_the_profile_fields_given_and_bumps_updated_at() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let other = user(&store).await;

    let renamed = ProfilePatch {
        full_name: Some(FullName::parse("Countess of Lovelace").unwrap()),
        email: None,
    };
    let after = store
        .update_profile(ada.id, &renamed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.full_name.as_str(), "Countess of Lovelace");
    assert_eq!(after.email, ada.email);
    assert_eq!(after.created_at, ada.created_at);
    assert!(after.updated_at > ada.updated_at);

    let moved = ProfilePatch {
        full_name: None,
        email: Some(Email::parse("countess@example.com").unwrap()),
    };
    let after = store.update_profile(ada.id, &moved).await.unwrap().unwrap();
    assert_eq!(after.email.as_str(), "countess@example.com");
    assert_eq!(after.full_name.as_str(), "Countess of Lovelace");
    assert_eq!(store.find_by_id(ada.id).await.unwrap(), Some(after));

    let taken = ProfilePatch {
        full_name: None,
        email: Some(other.email.clone()),
    };
    assert!(matches!(
        store.update_profile(ada.id, &taken).await,
        Err(RepositoryError::EmailTaken)
    ));
    assert_eq!(
        store
            .update_profile(UserId::generate(), &renamed)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn sets_the_role() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let admin = store.set_role(ada.id, Role::Admin).await.unwrap().unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(admin.updated_at > ada.updated_at);
    assert_eq!(
        store.find_by_id(ada.id).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert_eq!(
        store
            .set_role(UserId::generate(), Role::Admin)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn deleting_an_account_deletes_its_projects() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let bob = user(&store).await;
    for name in ["one", "two"] {
        ProjectRepository::create(&store, ada.id, named(name))
            .await
            .unwrap();
    }
    let kept = ProjectRepository::create(&store, bob.id, named("bob's"))
        .await
        .unwrap();

    assert!(UserRepository::delete(&store, ada.id).await.unwrap());
    assert_eq!(store.find_by_id(ada.id).await.unwrap(), None);
    let left: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM projects WHERE user_id = $1",
            &[&ada.id.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    assert_eq!(store.find(bob.id, kept.id).await.unwrap(), Some(kept));
    assert!(!UserRepository::delete(&store, ada.id).await.unwrap());
}

#[tokio::test]
async fn pages_accounts_newest_first_with_ties_by_id_and_the_total() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let mut users = Vec::new();
    for _ in 0..5 {
        users.push(user(&store).await);
    }
    // Two accounts created in the same instant: the lower id comes first.
    let client = db.client().await;
    client
        .execute(
            "UPDATE users SET created_at = '2030-01-01T00:00:00Z' WHERE id = ANY($1)",
            &[&vec![users[1].id.as_uuid(), users[3].id.as_uuid()]],
        )
        .await
        .unwrap();
    let (low, high) = if users[1].id < users[3].id {
        (1, 3)
    } else {
        (3, 1)
    };
    let expected = [
        users[low].id,
        users[high].id,
        users[4].id,
        users[2].id,
        users[0].id,
    ];

    let first = UserRepository::page(&store, PageRequest::new(1, 2).unwrap())
        .await
        .unwrap();
    let second = UserRepository::page(&store, PageRequest::new(2, 2).unwrap())
        .await
        .unwrap();
    let third = UserRepository::page(&store, PageRequest::new(3, 2).unwrap())
        .await
        .unwrap();
    let ids: Vec<_> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page.items.iter().map(|u| u.id))
        .collect();
    assert_eq!(ids, expected);
    assert_eq!((first.total, third.items.len()), (5, 1));

    let past_the_end = UserRepository::page(&store, PageRequest::new(9, 2).unwrap())
        .await
        .unwrap();
    assert!(past_the_end.items.is_empty());
    assert_eq!(past_the_end.total, 5);
}
