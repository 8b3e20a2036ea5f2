//! The project repository on PostgreSQL.

mod support;

use support::{named, user};
use time::macros::date;
use trellis_domain::{
    Budget, Change, Deadline, Description, NewProject, PageRequest, ProjectFilter, ProjectId,
    ProjectName, ProjectPatch, ProjectSort, ProjectStatus, StatusSet, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError};
use trellis_postgres::testkit::TestDatabase;

fn full(name: &str, cents: i64) -> NewProject {
    NewProject {
        description: Some(
            Description::parse("Difference engine, mark II").expect("a valid description"),
        ),
        status: ProjectStatus::Completed,
        budget: Some(Budget::from_cents(cents).expect("a valid budget")),
        deadline: Some(Deadline::new(date!(2031 - 12 - 31))),
        ..named(name)
    }
}

#[tokio::test]
async fn creates_and_finds_a_project_only_for_its_owner() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let bob = user(&store).await;
    let new = full("Engine", 125_050);
    let created = ProjectRepository::create(&store, ada.id, new.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            created.id,
            created.user_id,
            &created.name,
            &created.description
        ),
        (new.id, ada.id, &new.name, &new.description)
    );
    assert_eq!(
        (created.status, created.budget, created.deadline),
        (new.status, new.budget, new.deadline)
    );
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(
        store.find(ada.id, created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(store.find(bob.id, created.id).await.unwrap(), None);
    assert_eq!(
        store.find(ada.id, ProjectId::generate()).await.unwrap(),
        None
    );

    let bare = ProjectRepository::create(&store, ada.id, named("Bare"))
        .await
        .unwrap();
    assert_eq!(
        (bare.description, bare.budget, bare.deadline),
        (None, None, None)
    );
    assert_eq!(bare.status, ProjectStatus::Active);
}

#[tokio::test]
async fn budgets_are_stored_exactly() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let client = db.client().await;
    for (cents, text) in [
        (1, "0.01"),
        (30, "0.30"),
        (125_050, "1250.50"),
        (Budget::MAX_CENTS, "9999999999.99"),
    ] {
        let created = ProjectRepository::create(&store, ada.id, full("money", cents))
            .await
            .unwrap();
        assert_eq!(created.budget.unwrap().cents(), cents);
        let stored: String = client
            .query_one(
                "SELECT budget::text FROM projects WHERE id = $1",
                &[&created.id.as_uuid()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(stored, text);
        let found = store.find(ada.id, created.id).await.unwrap().unwrap();
        assert_eq!(found.budget, created.budget);
    }
}

#[tokio::test]
async fn a_project_for_a_missing_owner_is_a_missing_reference() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let outcome = ProjectRepository::create(&store, UserId::generate(), named("orphan")).await;
    match outcome {
        Err(RepositoryError::ReferenceMissing { constraint }) => {
            assert_eq!(constraint, "projects_user_id_fkey")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reused_project_id_is_a_conflict() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let project = named("twice");
    ProjectRepository::create(&store, ada.id, project.clone())
        .await
        .unwrap();
    match ProjectRepository::create(&store, ada.id, project).await {
        Err(RepositoryError::Conflict { constraint }) => assert_eq!(constraint, "projects_pkey"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn updates_set_clear_and_keep_fields() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let before = ProjectRepository::create(&store, ada.id, full("Engine", 500))
        .await
        .unwrap();

    let set = ProjectPatch {
        name: Some(ProjectName::parse("Analytical engine").unwrap()),
        status: Some(ProjectStatus::Archived),
        budget: Change::Set(Budget::from_cents(99).unwrap()),
        ..ProjectPatch::default()
    };
    let after = store
        .update(ada.id, before.id, &set, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(after.name.as_str(), "Analytical engine");
    assert_eq!(after.status, ProjectStatus::Archived);
    assert_eq!(after.budget, Some(Budget::from_cents(99).unwrap()));
    assert_eq!(
        (&after.description, after.deadline),
        (&before.description, before.deadline)
    );
    assert_eq!(after.created_at, before.created_at);
    assert!(after.updated_at > before.updated_at);

    let clear = ProjectPatch {
        description: Change::Clear,
        budget: Change::Clear,
        deadline: Change::Clear,
        ..ProjectPatch::default()
    };
    let cleared = store
        .update(ada.id, before.id, &clear, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(
        (cleared.description, cleared.budget, cleared.deadline),
        (None, None, None)
    );
    assert_eq!((cleared.name, cleared.status), (after.name, after.status));

    let refill = ProjectPatch {
        description: Change::Set(Description::parse("").unwrap()),
        deadline: Change::Set(Deadline::new(date!(2040 - 02 - 29))),
        ..ProjectPatch::default()
    };
    let refilled = store
        .update(ada.id, before.id, &refill, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(refilled.description.unwrap().as_str(), "");
    assert_eq!(refilled.deadline.unwrap().date(), date!(2040 - 02 - 29));
    assert_eq!(
        store
            .find(ada.id, before.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        refilled.updated_at
    );
}

#[tokio::test]
async fn an_update_of_someone_elses_or_a_missing_project_finds_nothing() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let bob = user(&store).await;
    let project = ProjectRepository::create(&store, ada.id, named("mine"))
        .await
        .unwrap();
    let patch = ProjectPatch {
        status: Some(ProjectStatus::Completed),
        ..ProjectPatch::default()
    };
    assert_eq!(
        store
            .update(bob.id, project.id, &patch, None)
            .await
            .unwrap()
            .done(),
        None
    );
    assert_eq!(
        store
            .update(ada.id, ProjectId::generate(), &patch, None)
            .await
            .unwrap()
            .done(),
        None
    );
    assert_eq!(store.find(ada.id, project.id).await.unwrap(), Some(project));
}

#[tokio::test]
async fn concurrent_updates_of_different_fields_are_both_kept() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    for round in 0..10 {
        let project = ProjectRepository::create(&store, ada.id, named("race"))
            .await
            .unwrap();
        let rename = ProjectPatch {
            name: Some(ProjectName::parse(&format!("renamed {round}")).unwrap()),
            ..ProjectPatch::default()
        };
        let fund = ProjectPatch {
            budget: Change::Set(Budget::from_cents(round + 1).unwrap()),
            ..ProjectPatch::default()
        };
        let (a, b) = tokio::join!(
            store.update(ada.id, project.id, &rename, None),
            store.update(ada.id, project.id, &fund, None)
        );
        a.unwrap().done().unwrap();
        b.unwrap().done().unwrap();
        let stored = store.find(ada.id, project.id).await.unwrap().unwrap();
        assert_eq!(stored.name.as_str(), format!("renamed {round}"));
        assert_eq!(stored.budget.unwrap().cents(), round + 1);
    }
}

#[tokio::test]
async fn deletes_only_the_owners_project() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let bob = user(&store).await;
    let project = ProjectRepository::create(&store, ada.id, named("mine"))
        .await
        .unwrap();
    assert!(
        ProjectRepository::delete(&store, bob.id, project.id, None)
            .await
            .unwrap()
            .done()
            .is_none()
    );
    assert!(
        ProjectRepository::delete(&store, ada.id, project.id, None)
            .await
            .unwrap()
            .done()
            .is_some()
    );
    assert_eq!(store.find(ada.id, project.id).await.unwrap(), None);
    assert!(
        ProjectRepository::delete(&store, ada.id, project.id, None)
            .await
            .unwrap()
            .done()
            .is_none()
    );
}

#[tokio::test]
async fn pages_filter_by_status_newest_first_with_totals() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let bob = user(&store).await;
    ProjectRepository::create(&store, bob.id, named("not ada's"))
        .await
        .unwrap();
    let mut created = Vec::new();
    for i in 0..7 {
        let status = if i % 2 == 0 {
            ProjectStatus::Active
        } else {
            ProjectStatus::Archived
        };
        let project = NewProject {
            status,
            ..named(&format!("p{i}"))
        };
        created.push(
            ProjectRepository::create(&store, ada.id, project)
                .await
                .unwrap(),
        );
    }
    // Give two projects the same instant: newest first, ties by id in the
    // same direction (descending), as every sort breaks them.
    db.client()
        .await
        .execute(
            "UPDATE projects SET created_at = '2030-01-01T00:00:00Z' WHERE id = ANY($1)",
            &[&vec![created[2].id.as_uuid(), created[4].id.as_uuid()]],
        )
        .await
        .unwrap();
    let (low, high) = if created[2].id < created[4].id {
        (2, 4)
    } else {
        (4, 2)
    };
    let newest_first = [high, low, 6, 5, 3, 1, 0].map(|i| created[i].id);

    let mut seen = Vec::new();
    for number in 1..=3 {
        let page = ProjectRepository::page(
            &store,
            ada.id,
            &ProjectFilter::default(),
            ProjectSort::default(),
            PageRequest::new(number, 3).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(page.total, 7);
        assert_eq!(page.total_pages(), 3);
        seen.extend(page.items.iter().map(|p| p.id));
    }
    assert_eq!(seen, newest_first);

    let active = ProjectRepository::page(
        &store,
        ada.id,
        &ProjectFilter {
            statuses: StatusSet::only(ProjectStatus::Active),
            search: None,
        },
        ProjectSort::default(),
        PageRequest::new(1, 10).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(active.total, 4);
    let expected: Vec<_> = newest_first
        .iter()
        .copied()
        .filter(|id| {
            created
                .iter()
                .any(|p| p.id == *id && p.status == ProjectStatus::Active)
        })
        .collect();
    assert_eq!(
        active.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        expected
    );
    assert!(active.items.iter().all(|p| p.user_id == ada.id));

    let completed = ProjectRepository::page(
        &store,
        ada.id,
        &ProjectFilter {
            statuses: StatusSet::only(ProjectStatus::Completed),
            search: None,
        },
        ProjectSort::default(),
        PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!((completed.total, completed.items.len()), (0, 0));

    let past_the_end = ProjectRepository::page(
        &store,
        ada.id,
        &ProjectFilter {
            statuses: StatusSet::only(ProjectStatus::Archived),
            search: None,
        },
        ProjectSort::default(),
        PageRequest::new(2, 3).unwrap(),
    )
    .await
    .unwrap();
    assert!(past_the_end.items.is_empty());
    assert_eq!(past_the_end.total, 3);
}
