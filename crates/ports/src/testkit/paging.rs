//! The contract of offset pages of [`ProjectRepository`](crate::ProjectRepository):
//! order, filter, totals, and pages past the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Repos, everything, only, project_named, user, users::assert_order};
use trellis_domain::{PageRequest, ProjectSort, ProjectStatus};

/// Newest first with the id tie-break, filtered by status, with totals.
pub async fn projects_are_paged_newest_first_with_filter_and_totals(repos: Repos) {
    let owner = user(&repos, "ada@example.com").await;
    let other = user(&repos, "eve@example.com").await;
    repos
        .projects
        .create(other.id, project_named("Not mine"))
        .await
        .unwrap();
    for n in 0..7 {
        let mut new = project_named(&format!("Project {n}"));
        if n % 3 == 0 {
            new.status = ProjectStatus::Completed;
        }
        repos.projects.create(owner.id, new).await.unwrap();
    }
    let first = repos
        .projects
        .page(
            owner.id,
            &everything(),
            ProjectSort::default(),
            PageRequest::new(1, 3).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (first.total, first.items.len(), first.total_pages()),
        (7, 3, 3)
    );
    let mut all = Vec::new();
    for page in 1..=3 {
        let slice = repos
            .projects
            .page(
                owner.id,
                &everything(),
                ProjectSort::default(),
                PageRequest::new(page, 3).unwrap(),
            )
            .await
            .unwrap();
        all.extend(slice.items);
    }
    assert_eq!(all.len(), 7);
    assert!(all.iter().all(|p| p.user_id == owner.id));
    assert_order(
        &all.iter()
            .map(|p| (p.created_at, p.id.as_uuid()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(all.first().map(|p| p.name.as_str()), Some("Project 6"));

    let completed = repos
        .projects
        .page(
            owner.id,
            &only(ProjectStatus::Completed),
            ProjectSort::default(),
            PageRequest::new(1, 2).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(completed.total, 3);
    assert_eq!(completed.items.len(), 2);
    assert!(
        completed
            .items
            .iter()
            .all(|p| p.status == ProjectStatus::Completed)
    );
    let archived = repos
        .projects
        .page(
            owner.id,
            &only(ProjectStatus::Archived),
            ProjectSort::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!((archived.total, archived.items.len()), (0, 0));
}

/// A page past the end has no items but the right total.
pub async fn page_past_the_end_is_empty_but_counts(repos: Repos) {
    let owner = user(&repos, "ada@example.com").await;
    for n in 0..3 {
        repos
            .projects
            .create(owner.id, project_named(&format!("P{n}")))
            .await
            .unwrap();
    }
    let beyond = repos
        .projects
        .page(
            owner.id,
            &everything(),
            ProjectSort::default(),
            PageRequest::new(5, 2).unwrap(),
        )
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 3);
    let users = repos
        .users
        .page(PageRequest::new(9, 10).unwrap())
        .await
        .unwrap();
    assert!(users.items.is_empty());
    assert_eq!(users.total, 1);
}
