//! The contract of [`ProjectRepository`](crate::ProjectRepository).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Repos, deadline, everything, new_user, project_named, user};
use crate::RepositoryError;
use trellis_domain::{
    Budget, Change, Description, PageRequest, ProjectName, ProjectPatch, ProjectSort,
    ProjectStatus, UserId,
};

/// Every field of a project survives storage exactly (budget to the cent).
pub async fn project_round_trip_is_exact(repos: Repos) {
    let owner = user(&repos, "ada@example.com").await;
    let mut new = project_named("Analytical Engine");
    new.description = Some(Description::parse("Difference engine's successor").unwrap());
    new.status = ProjectStatus::Completed;
    new.budget = Some(Budget::parse("9999999999.99").unwrap());
    new.deadline = Some(deadline(30));
    let id = new.id;
    let created = repos.projects.create(owner.id, new.clone()).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!(created.user_id, owner.id);
    assert_eq!(created.name, new.name);
    assert_eq!(created.description, new.description);
    assert_eq!(created.status, ProjectStatus::Completed);
    assert_eq!(created.budget.map(Budget::cents), Some(999_999_999_999));
    assert_eq!(created.deadline, new.deadline);
    let found = repos.projects.find(owner.id, id).await.unwrap();
    assert_eq!(found.as_ref(), Some(&created));

    let small = project_named("Small");
    let mut small = small;
    small.budget = Some(Budget::parse("0.30").unwrap());
    let small = repos.projects.create(owner.id, small).await.unwrap();
    assert_eq!(small.budget.map(Budget::cents), Some(30));
    assert_eq!(small.description, None);
    assert_eq!(small.status, ProjectStatus::Active);
}

/// A project for an owner that does not exist is refused.
pub async fn project_of_missing_owner_is_a_missing_reference(repos: Repos) {
    let result = repos
        .projects
        .create(UserId::generate(), project_named("Orphan"))
        .await;
    assert!(
        matches!(result, Err(RepositoryError::ReferenceMissing { .. })),
        "{result:?}"
    );
}

/// Another owner can neither see, change, delete nor list a project.
pub async fn projects_are_invisible_to_other_owners(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let eve = user(&repos, "eve@example.com").await;
    let project = repos
        .projects
        .create(ada.id, project_named("Secret"))
        .await
        .unwrap();
    assert!(
        repos
            .projects
            .find(eve.id, project.id)
            .await
            .unwrap()
            .is_none()
    );
    let patch = ProjectPatch {
        name: Some(ProjectName::parse("Stolen").unwrap()),
        ..ProjectPatch::default()
    };
    assert!(
        repos
            .projects
            .update(eve.id, project.id, &patch, None)
            .await
            .unwrap()
            .done()
            .is_none()
    );
    assert!(
        repos
            .projects
            .delete(eve.id, project.id, None)
            .await
            .unwrap()
            .done()
            .is_none()
    );
    let page = repos
        .projects
        .page(
            eve.id,
            &everything(),
            ProjectSort::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    assert!(page.items.is_empty());
    let still = repos
        .projects
        .find(ada.id, project.id)
        .await
        .unwrap()
        .expect("project");
    assert_eq!(still.name.as_str(), "Secret");
    assert!(
        repos
            .projects
            .delete(ada.id, project.id, None)
            .await
            .unwrap()
            .done()
            .is_some()
    );
    assert!(
        repos
            .projects
            .find(ada.id, project.id)
            .await
            .unwrap()
            .is_none()
    );
}

/// Set, clear and keep, field by field; `updated_at` moves, `created_at` not.
pub async fn patch_sets_and_clears_only_touched_fields(repos: Repos) {
    let owner = user(&repos, "ada@example.com").await;
    let mut new = project_named("Engine");
    new.description = Some(Description::parse("first").unwrap());
    new.budget = Some(Budget::parse("100.10").unwrap());
    new.deadline = Some(deadline(10));
    let created = repos.projects.create(owner.id, new).await.unwrap();

    let status_only = ProjectPatch {
        status: Some(ProjectStatus::Archived),
        ..ProjectPatch::default()
    };
    let updated = repos
        .projects
        .update(owner.id, created.id, &status_only, None)
        .await
        .unwrap()
        .done()
        .expect("project");
    assert_eq!(updated.status, ProjectStatus::Archived);
    assert_eq!(updated.name, created.name);
    assert_eq!(updated.description, created.description);
    assert_eq!(updated.budget, created.budget);
    assert_eq!(updated.deadline, created.deadline);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);

    let clear = ProjectPatch {
        description: Change::Clear,
        budget: Change::Clear,
        deadline: Change::Clear,
        ..ProjectPatch::default()
    };
    let cleared = repos
        .projects
        .update(owner.id, created.id, &clear, None)
        .await
        .unwrap()
        .done()
        .expect("project");
    assert_eq!(
        (cleared.description, cleared.budget, cleared.deadline),
        (None, None, None)
    );
    assert_eq!(cleared.status, ProjectStatus::Archived);

    let set = ProjectPatch {
        name: Some(ProjectName::parse("Renamed").unwrap()),
        description: Change::Set(Description::parse("second").unwrap()),
        budget: Change::Set(Budget::parse("0.01").unwrap()),
        deadline: Change::Set(deadline(20)),
        ..ProjectPatch::default()
    };
    let again = repos
        .projects
        .update(owner.id, created.id, &set, None)
        .await
        .unwrap()
        .done()
        .expect("project");
    assert_eq!(again.name.as_str(), "Renamed");
    assert_eq!(
        again.description.as_ref().map(Description::as_str),
        Some("second")
    );
    assert_eq!(again.budget.map(Budget::cents), Some(1));
    assert_eq!(again.deadline, Some(deadline(20)));
    let stored = repos.projects.find(owner.id, created.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&again));
    let missing = repos
        .projects
        .update(owner.id, trellis_domain::ProjectId::generate(), &set, None)
        .await
        .unwrap()
        .done();
    assert!(missing.is_none());
}

/// Two patches of different fields at once: both changes survive.
pub async fn concurrent_patches_keep_each_others_fields(repos: Repos) {
    let owner = user(&repos, "ada@example.com").await;
    let project = repos
        .projects
        .create(owner.id, project_named("Engine"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..16 {
        let projects = repos.projects.clone();
        tasks.push(tokio::spawn(async move {
            let patch = if n % 2 == 0 {
                ProjectPatch {
                    name: Some(ProjectName::parse(&format!("name {n}")).unwrap()),
                    ..ProjectPatch::default()
                }
            } else {
                ProjectPatch {
                    budget: Change::Set(Budget::from_cents(n).unwrap()),
                    ..ProjectPatch::default()
                }
            };
            projects
                .update(owner.id, project.id, &patch, None)
                .await
                .unwrap()
                .done()
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("project");
    }
    let stored = repos
        .projects
        .find(owner.id, project.id)
        .await
        .unwrap()
        .expect("project");
    assert_ne!(stored.name.as_str(), "Engine", "a name patch was lost");
    assert!(stored.budget.is_some(), "a budget patch was lost");
}

/// Deleting an account deletes its projects, and only its projects.
pub async fn deleting_a_user_deletes_their_projects(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let eve = user(&repos, "eve@example.com").await;
    let doomed = repos
        .projects
        .create(ada.id, project_named("Doomed"))
        .await
        .unwrap();
    let kept = repos
        .projects
        .create(eve.id, project_named("Kept"))
        .await
        .unwrap();
    assert!(repos.users.delete(ada.id).await.unwrap());
    assert!(
        repos
            .projects
            .find(ada.id, doomed.id)
            .await
            .unwrap()
            .is_none()
    );
    let page = repos
        .projects
        .page(
            ada.id,
            &everything(),
            ProjectSort::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    assert!(
        repos
            .projects
            .find(eve.id, kept.id)
            .await
            .unwrap()
            .is_some()
    );
    let again = repos.users.create(new_user("ada@example.com")).await;
    assert!(again.is_ok(), "the e-mail is free again: {again:?}");
}
