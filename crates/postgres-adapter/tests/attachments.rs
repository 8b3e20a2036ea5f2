//! The attachment repository on PostgreSQL, where the contract suite's
//! race cannot reach: an add that waits for another transaction's lock,
//! rows deleted behind the adapter's back, and a transaction that fails
//! part-way.

// Test support: a failed expectation should panic with the value in view.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;
use support::{named, user};
use trellis_domain::{
    Attachment, AttachmentId, FileName, MediaType, ProjectId, Sha256Digest, UserId,
};
use trellis_ports::{Added, AttachmentRepository, ProjectRepository, RepositoryError};
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

fn attachment(project: ProjectId, name: &str) -> Attachment {
    let now = time::OffsetDateTime::now_utc();
    Attachment {
        id: AttachmentId::generate(),
        project_id: project,
        filename: FileName::from_stored(name.to_owned()),
        content_type: MediaType::parse("text/plain").unwrap(),
        size: 12,
        sha256: Sha256Digest::from_bytes([7; 32]),
        created_at: now
            .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap(),
    }
}

async fn project_of(store: &PgStore) -> (UserId, ProjectId) {
    let owner = user(store).await;
    let project = store.create(owner.id, named("Apollo")).await.unwrap();
    (owner.id, project.id)
}

/// While another transaction holds the project and adds the last allowed
/// attachment, an add waits; once that commits, it counts it and is
/// refused. (Had it counted from a snapshot taken before the wait, as a
/// single locking statement would, it would pass the limit.)
#[tokio::test]
async fn an_add_waiting_for_the_project_counts_what_the_holder_committed() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let (owner, project) = project_of(&store).await;
    let mut holder = db.client().await;
    let held = holder.transaction().await.unwrap();
    held.execute(
        "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE",
        &[&project.as_uuid()],
    )
    .await
    .unwrap();
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .add(owner, &attachment(project, "second.txt"), 1)
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the add waits for the project");
    held.execute(
        "INSERT INTO attachments (id, project_id, filename, content_type, size, sha256, created_at)
         VALUES (gen_random_uuid(), $1, 'first.txt', 'text/plain', 1, decode(repeat('00', 32), 'hex'), now())",
        &[&project.as_uuid()],
    )
    .await
    .unwrap();
    held.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), Added::Full);
    assert_eq!(store.count(owner, project).await.unwrap(), Some(1));
}

/// The trigger queues every row that goes, whoever deletes it, in the
/// deleting transaction: a rolled-back deletion queues nothing.
#[tokio::test]
async fn rows_deleted_by_any_statement_are_queued_with_the_deletion() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let (owner, project) = project_of(&store).await;
    let kept = attachment(project, "kept.txt");
    assert!(matches!(
        store.add(owner, &kept, 10).await.unwrap(),
        Added::Done(_)
    ));
    let mut client = db.client().await;
    let undone = client.transaction().await.unwrap();
    undone
        .execute("DELETE FROM users WHERE id = $1", &[&owner.as_uuid()])
        .await
        .unwrap();
    undone.rollback().await.unwrap();
    assert!(store.pending_deletions(10).await.unwrap().is_empty());
    client
        .execute("DELETE FROM projects WHERE id = $1", &[&project.as_uuid()])
        .await
        .unwrap();
    assert_eq!(
        store.pending_deletions(10).await.unwrap(),
        [kept.blob_key()]
    );
}

/// A statement failing inside `add`'s transaction is an error, and the
/// connection does not go back to the pool inside the failed transaction:
/// on a pool of one, the next call works.
#[tokio::test]
async fn a_failed_add_leaves_the_pool_usable() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(PgSettings {
        pool_max: 1,
        ..db.settings()
    })
    .unwrap();
    let (owner, project) = project_of(&store).await;
    let too_long = attachment(project, &"x".repeat(256));
    let refused = store.add(owner, &too_long, 10).await;
    assert!(
        matches!(refused, Err(RepositoryError::Internal(_))),
        "{refused:?}"
    );
    let mut huge = attachment(project, "huge.bin");
    huge.size = u64::MAX;
    assert!(matches!(
        store.add(owner, &huge, 10).await,
        Err(RepositoryError::Internal(_))
    ));
    assert_eq!(store.count(owner, project).await.unwrap(), Some(0));
    let fine = attachment(project, "fine.txt");
    assert_eq!(
        store.add(owner, &fine, 10).await.unwrap(),
        Added::Done(fine)
    );
}
