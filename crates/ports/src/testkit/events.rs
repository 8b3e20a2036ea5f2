//! The contract of [`EventLog`](crate::EventLog) and
//! [`TicketRepository`](crate::TicketRepository), run with
//! [`event_contract!`](crate::event_contract) over a fresh store per case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Repos, project_named, user};
use crate::{Actor, EventLog, TicketRepository};
use std::sync::Arc;
use trellis_domain::{EventId, EventKind, ProjectPatch, ProjectStatus, Role, TokenDigest};

/// A store's repositories, with its event log and tickets.
#[derive(Clone)]
pub struct EventRepos {
    /// Accounts, projects, sessions.
    pub repos: Repos,
    /// The events of project changes (same store).
    pub events: Arc<dyn EventLog>,
    /// Stream tickets (same store).
    pub tickets: Arc<dyn TicketRepository>,
}

impl std::fmt::Debug for EventRepos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventRepos")
    }
}

/// Runs every event case against stores made by `$make` (an async
/// expression evaluating to [`EventRepos`]).
#[macro_export]
macro_rules! event_contract {
    ($make:expr) => {
        $crate::event_contract!(@cases $make;
            events_mirror_each_change_in_order,
            sweeping_raises_the_horizon,
            tickets_are_spent_once_and_expire,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let repos: $crate::testkit::EventRepos = $make.await;
                $crate::testkit::$case(repos).await;
            }
        )+
    };
}

/// Each change has one event, with the project as the change left it,
/// ordered by id; cursors read one owner's events after an id.
pub async fn events_mirror_each_change_in_order(store: EventRepos) {
    let repos = &store.repos;
    let (ada, bob) = (
        user(repos, "ada@example.com").await,
        user(repos, "bob@example.com").await,
    );
    let created = repos
        .projects
        .create(ada.id, project_named("Engine"))
        .await
        .unwrap();
    let patch = ProjectPatch {
        status: Some(ProjectStatus::Archived),
        ..ProjectPatch::default()
    };
    let updated = repos
        .projects
        .update(ada.id, created.id, &patch, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    repos
        .projects
        .create(bob.id, project_named("Loom"))
        .await
        .unwrap();
    assert_eq!(
        repos
            .projects
            .delete(ada.id, created.id, None)
            .await
            .unwrap(),
        crate::Written::Done(())
    );

    let events = store
        .events
        .after(&[(ada.id, EventId::ZERO)], 10)
        .await
        .unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Created, EventKind::Updated, EventKind::Deleted]
    );
    assert_eq!(events[0].project.as_ref(), Some(&created));
    assert_eq!(events[1].project.as_ref(), Some(&updated));
    assert_eq!(events[2].project, None);
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    let both = store
        .events
        .after(&[(ada.id, events[0].id), (bob.id, EventId::ZERO)], 10)
        .await
        .unwrap();
    assert_eq!(both.len(), 3, "ada's last two and bob's one");
    assert!(both.windows(2).all(|pair| pair[0].id < pair[1].id));
    let limited = store
        .events
        .after(&[(ada.id, EventId::ZERO)], 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    let position = store.events.position(ada.id).await.unwrap();
    assert_eq!(position.latest, events[2].id);
    assert_eq!(position.swept_through, EventId::ZERO);
}

/// Sweeping deletes what happened before the cut and raises the horizon
/// past it.
pub async fn sweeping_raises_the_horizon(store: EventRepos) {
    let ada = user(&store.repos, "ada@example.com").await;
    for name in ["one", "two"] {
        store
            .repos
            .projects
            .create(ada.id, project_named(name))
            .await
            .unwrap();
    }
    let latest = store.events.position(ada.id).await.unwrap().latest;
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    assert_eq!(store.events.sweep(past).await.unwrap(), 0);
    let future = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    assert_eq!(store.events.sweep(future).await.unwrap(), 2);
    let position = store.events.position(ada.id).await.unwrap();
    assert!(position.swept_through >= latest);
    let kept = store
        .events
        .after(&[(ada.id, EventId::ZERO)], 10)
        .await
        .unwrap();
    assert!(kept.is_empty());
}

/// A ticket is redeemed once, before it expires, as whom it was issued to.
pub async fn tickets_are_spent_once_and_expire(store: EventRepos) {
    let ada = user(&store.repos, "ada@example.com").await;
    let actor = Actor {
        id: ada.id,
        role: Role::User,
        session: None,
    };
    let now = time::OffsetDateTime::now_utc();
    let (live, stale) = (TokenDigest([1; 32]), TokenDigest([2; 32]));
    let tickets = &store.tickets;
    tickets
        .issue(live, &actor, now + time::Duration::seconds(30))
        .await
        .unwrap();
    tickets
        .issue(stale, &actor, now - time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(tickets.redeem(live, now).await.unwrap(), Some(actor));
    assert_eq!(tickets.redeem(live, now).await.unwrap(), None, "spent");
    assert_eq!(tickets.redeem(stale, now).await.unwrap(), None, "expired");
    assert_eq!(
        tickets.redeem(TokenDigest([3; 32]), now).await.unwrap(),
        None
    );
    tickets.sweep_tickets(now).await.unwrap();
    assert_eq!(tickets.redeem(stale, now).await.unwrap(), None, "swept");
}
