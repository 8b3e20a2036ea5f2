//! The contract of conditional writes: [`ProjectRepository::update`](crate::ProjectRepository::update)
//! and [`ProjectRepository::delete`](crate::ProjectRepository::delete) with `expected` versions.

use super::{Repos, project_named, user};
use crate::Written;
use trellis_domain::{ProjectId, ProjectName, ProjectPatch};

fn renamed(name: &str) -> ProjectPatch {
    ProjectPatch {
        name: Some(ProjectName::parse(name).unwrap()),
        ..ProjectPatch::default()
    }
}

/// A write at an expected version goes ahead and moves the version; at
/// another, it is stale and changes nothing; a missing project is missing.
pub async fn conditional_writes_check_the_version_with_the_write(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let created = repos
        .projects
        .create(ada.id, project_named("v1"))
        .await
        .unwrap();
    let v1 = [created.updated_at];
    let updated = repos
        .projects
        .update(ada.id, created.id, &renamed("v2"), Some(&v1))
        .await
        .unwrap()
        .done()
        .expect("written at the expected version");
    assert_ne!(
        updated.updated_at, created.updated_at,
        "a write moves the version"
    );
    assert_eq!(
        repos
            .projects
            .update(ada.id, created.id, &renamed("v3"), Some(&v1))
            .await
            .unwrap(),
        Written::Stale
    );
    assert_eq!(
        repos
            .projects
            .update(ada.id, created.id, &renamed("v3"), Some(&[]))
            .await
            .unwrap(),
        Written::Stale
    );
    let stored = repos
        .projects
        .find(ada.id, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, updated, "a stale write changes nothing");
    assert_eq!(
        repos
            .projects
            .delete(ada.id, created.id, Some(&v1))
            .await
            .unwrap(),
        Written::Stale
    );
    assert_eq!(
        repos
            .projects
            .update(ada.id, ProjectId::generate(), &renamed("x"), Some(&v1))
            .await
            .unwrap(),
        Written::Missing
    );
    let eve = user(&repos, "eve@example.com").await;
    let current = [stored.updated_at];
    assert_eq!(
        repos
            .projects
            .delete(eve.id, created.id, Some(&current))
            .await
            .unwrap(),
        Written::Missing
    );
    assert_eq!(
        repos
            .projects
            .delete(ada.id, created.id, Some(&[v1[0], current[0]]))
            .await
            .unwrap(),
        Written::Done(())
    );
    assert_eq!(
        repos
            .projects
            .delete(ada.id, created.id, None)
            .await
            .unwrap(),
        Written::Missing
    );
}

/// Two writes expecting the same version at once: exactly one goes ahead.
pub async fn racing_conditional_writes_leave_exactly_one_winner(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    for round in 0..10 {
        let created = repos
            .projects
            .create(ada.id, project_named(&format!("race {round}")))
            .await
            .unwrap();
        let expected = [created.updated_at];
        let race = |name: &'static str| {
            let projects = repos.projects.clone();
            tokio::spawn(async move {
                projects
                    .update(ada.id, created.id, &renamed(name), Some(&expected))
                    .await
                    .unwrap()
            })
        };
        let (a, b) = (race("left"), race("right"));
        let outcomes = [a.await.unwrap(), b.await.unwrap()];
        let won: Vec<_> = outcomes
            .iter()
            .filter(|o| matches!(o, Written::Done(_)))
            .collect();
        assert_eq!(won.len(), 1, "{outcomes:?}");
        assert!(outcomes.contains(&Written::Stale), "{outcomes:?}");
        let stored = repos
            .projects
            .find(ada.id, created.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(Some(&stored), won[0].clone().done().as_ref());
    }
}
