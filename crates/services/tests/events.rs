//! Event streams over the in-memory store: the hub's bounded queues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use std::{sync::Arc, time::Duration};
use trellis_domain::{ClientInfo, Draft, Email, FullName, Password, ProjectName, ProjectPatch};
use trellis_memory::InMemoryStore;
use trellis_password::BcryptHasher;
use trellis_ports::{
    AccountService, Actor, Delivery, EventService, ProjectService, Registration, ServiceError,
    StreamEnd,
};
use trellis_services::{
    AccountsService, CursorKey, EventsService, ProjectsService, RefreshKey, RevocationList,
    SessionIssuer, SessionPolicy, SystemClock,
};

struct World {
    projects: ProjectsService,
    events: Arc<EventsService>,
    actor: Actor,
}

async fn world() -> World {
    let store = Arc::new(InMemoryStore::new());
    let issuer = SessionIssuer::new(
        store.clone(),
        RefreshKey::derive(b"events-tests-secret-of-32-bytes!!!!"),
        SessionPolicy::default(),
        Arc::new(SystemClock),
    );
    let accounts = AccountsService::new(
        store.clone(),
        Arc::new(BcryptHasher::new(4).unwrap()),
        issuer,
    );
    let grant = accounts
        .register(
            Registration {
                email: Email::parse("ada@example.com").unwrap(),
                password: Password::parse("correct horse").unwrap(),
                full_name: FullName::parse("Ada").unwrap(),
            },
            ClientInfo::default(),
        )
        .await
        .unwrap();
    let revocations = Arc::new(RevocationList::new(Duration::from_secs(3600)));
    let events = Arc::new(EventsService::new(
        store.clone(),
        store.clone(),
        revocations.clone(),
        2,
    ));
    let (following, feed) = (Arc::clone(&events), store.clone());
    tokio::spawn(async move {
        following
            .follow(feed.as_ref(), revocations.ending(), std::future::pending())
            .await;
    });
    World {
        projects: ProjectsService::new(
            store.clone(),
            store,
            Arc::new(SystemClock),
            CursorKey::derive(b"events-tests-secret-of-32-bytes!!!!"),
        ),
        events,
        actor: Actor {
            id: grant.user.id,
            role: grant.user.role,
            session: Some(grant.session),
        },
    }
}

impl World {
    async fn create(&self, n: usize) {
        let draft = Draft::valid(ProjectPatch {
            name: Some(ProjectName::parse(&format!("p{n}")).unwrap()),
            ..ProjectPatch::default()
        });
        self.projects.create(&self.actor, draft).await.unwrap();
    }
}

/// Lets the hub deliver what was written.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_stream_more_than_a_thousand_events_behind_is_closed() {
    let world = world().await;
    let mut idle = world.events.subscribe(&world.actor, None).await.unwrap();
    let mut reading = world.events.subscribe(&world.actor, None).await.unwrap();
    for n in 0..1000 {
        world.create(n).await;
    }
    settle().await;
    // A thousand behind is still within bounds.
    for _ in 0..1000 {
        assert!(matches!(reading.next().await, Some(Delivery::Event(_))));
    }
    world.create(1000).await;
    settle().await;
    assert!(matches!(reading.next().await, Some(Delivery::Event(_))));
    assert_eq!(idle.next().await, Some(Delivery::End(StreamEnd::TooSlow)));
    assert_eq!(idle.next().await, None);
}

#[tokio::test]
async fn streams_are_capped_and_resume_after_an_id() {
    let world = world().await;
    let mut live = world.events.subscribe(&world.actor, None).await.unwrap();
    let _second = world.events.subscribe(&world.actor, None).await.unwrap();
    assert!(matches!(
        world.events.subscribe(&world.actor, None).await,
        Err(ServiceError::TooManyStreams)
    ));
    for n in 0..3 {
        world.create(n).await;
    }
    let Some(Delivery::Event(first)) = live.next().await else {
        panic!("no event")
    };
    drop(live);
    let mut resumed = world
        .events
        .subscribe(&world.actor, Some(first.id))
        .await
        .unwrap();
    for name in ["p1", "p2"] {
        let Some(Delivery::Event(event)) = resumed.next().await else {
            panic!("no kept event")
        };
        assert_eq!(event.project.as_ref().unwrap().name.as_str(), name);
    }
}
