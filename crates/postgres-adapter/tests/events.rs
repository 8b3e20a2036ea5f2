//! The event log on PostgreSQL: written by the trigger in the change's own
//! transaction, read after per-owner cursors, swept behind a horizon.

mod support;

use support::{named, user};
use trellis_domain::{EventId, EventKind, ProjectPatch, ProjectStatus};
use trellis_ports::{EventLog, ProjectRepository};
use trellis_postgres::testkit::TestDatabase;

#[tokio::test]
async fn every_committed_change_has_its_event_and_a_rolled_back_one_none() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let (ada, bob) = (user(&store).await, user(&store).await);
    let created = ProjectRepository::create(&store, ada.id, named("Engine"))
        .await
        .unwrap();
    let patch = ProjectPatch {
        status: Some(ProjectStatus::Completed),
        ..ProjectPatch::default()
    };
    let updated = ProjectRepository::update(&store, ada.id, created.id, &patch, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    ProjectRepository::create(&store, bob.id, named("Loom"))
        .await
        .unwrap();
    assert_eq!(
        ProjectRepository::delete(&store, ada.id, created.id, None)
            .await
            .unwrap(),
        trellis_ports::Written::Done(())
    );

    // A change that rolls back leaves no event behind.
    let client = db.client().await;
    client
        .batch_execute(&format!(
            "BEGIN; INSERT INTO projects (id, user_id, name) VALUES (gen_random_uuid(), '{}', 'x'); ROLLBACK",
            ada.id
        ))
        .await
        .unwrap();

    let events = store.after(&[(ada.id, EventId::ZERO)], 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Created, EventKind::Updated, EventKind::Deleted]
    );
    assert_eq!(events[0].project.as_ref(), Some(&created));
    assert_eq!(
        events[1].project.as_ref(),
        Some(&updated),
        "as the change left it"
    );
    assert_eq!(events[2].project, None);
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    assert!(
        events
            .iter()
            .all(|event| event.owner == ada.id && event.project_id == created.id)
    );

    let after_first = store.after(&[(ada.id, events[0].id)], 100).await.unwrap();
    assert_eq!(after_first.len(), 2);
    let both = store
        .after(&[(ada.id, events[1].id), (bob.id, EventId::ZERO)], 100)
        .await
        .unwrap();
    assert_eq!(both.len(), 2, "ada's delete and bob's create");
    assert_eq!(
        store
            .after(&[(ada.id, EventId::ZERO)], 2)
            .await
            .unwrap()
            .len(),
        2,
        "limit"
    );

    let position = store.position(ada.id).await.unwrap();
    assert_eq!(
        (position.latest, position.swept_through),
        (events[2].id, EventId::ZERO)
    );
    let swept = store
        .sweep(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(swept, 4);
    let position = store.position(ada.id).await.unwrap();
    assert!(
        position.swept_through >= events[2].id,
        "the horizon moved past what was swept"
    );
}
