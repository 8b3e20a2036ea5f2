//! The repository contract suite: the behaviour every [`UserRepository`] and
//! [`ProjectRepository`] implementation must show. Adapters run it with
//! [`repository_contract!`](crate::repository_contract), which expands to one
//! `#[tokio::test]` per case over a fresh pair of repositories.

// Test support: a failed expectation should panic with the value in view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{ProjectRepository, RepositoryError, UserRepository};
use std::sync::Arc;
use trellis_domain::{
    Budget, Change, Deadline, Description, Email, FullName, NewProject, NewUser, PageRequest,
    PasswordHash, ProfilePatch, ProjectName, ProjectPatch, ProjectStatus, Role, User, UserId,
};

/// A fresh, empty pair of repositories over one store, for one test case.
#[derive(Clone)]
pub struct Repos {
    /// The accounts.
    pub users: Arc<dyn UserRepository>,
    /// Their projects (same store: deleting a user deletes these).
    pub projects: Arc<dyn ProjectRepository>,
}

impl std::fmt::Debug for Repos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Repos")
    }
}

/// Runs every contract case against repositories made by `$make` (an async
/// expression evaluating to [`Repos`], evaluated once per case).
///
/// ```ignore
/// trellis_ports::repository_contract!(async { my_repos().await });
/// ```
#[macro_export]
macro_rules! repository_contract {
    ($make:expr) => {
        $crate::repository_contract!(@cases $make;
            user_round_trip,
            email_is_unique_in_any_case,
            concurrent_registrations_of_one_email_leave_one_account,
            profile_patch_changes_only_present_fields,
            profile_patch_to_a_taken_email_is_refused,
            set_role_and_missing_users,
            users_are_paged_newest_first_with_totals,
            project_round_trip_is_exact,
            project_of_missing_owner_is_a_missing_reference,
            projects_are_invisible_to_other_owners,
            patch_sets_and_clears_only_touched_fields,
            concurrent_patches_keep_each_others_fields,
            projects_are_paged_newest_first_with_filter_and_totals,
            page_past_the_end_is_empty_but_counts,
            deleting_a_user_deletes_their_projects,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let repos: $crate::testkit::Repos = $make.await;
                $crate::testkit::$case(repos).await;
            }
        )+
    };
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("test email")
}

fn new_user(address: &str) -> NewUser {
    NewUser::register(
        email(address),
        FullName::parse("Ada Lovelace").expect("name"),
        PasswordHash::new("$2b$04$abcdefghijklmnopqrstuuSomeFakeHashForContractTests12".into()),
    )
}

async fn user(repos: &Repos, address: &str) -> User {
    repos
        .users
        .create(new_user(address))
        .await
        .expect("create user")
}

fn project_named(name: &str) -> NewProject {
    NewProject::named(ProjectName::parse(name).expect("name"))
}

fn deadline(days: i64) -> Deadline {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    Deadline::new(date)
}

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

fn assert_order(keys: &[(time::OffsetDateTime, uuid::Uuid)]) {
    for pair in keys.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            a.0 > b.0 || (a.0 == b.0 && a.1 < b.1),
            "not newest first with id tie-break: {a:?} then {b:?}"
        );
    }
}

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
            .update(eve.id, project.id, &patch)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!repos.projects.delete(eve.id, project.id).await.unwrap());
    let page = repos
        .projects
        .page(eve.id, None, PageRequest::default())
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
    assert!(repos.projects.delete(ada.id, project.id).await.unwrap());
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
        .update(owner.id, created.id, &status_only)
        .await
        .unwrap()
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
        .update(owner.id, created.id, &clear)
        .await
        .unwrap()
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
        .update(owner.id, created.id, &set)
        .await
        .unwrap()
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
        .update(owner.id, trellis_domain::ProjectId::generate(), &set)
        .await
        .unwrap();
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
            projects.update(owner.id, project.id, &patch).await.unwrap()
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
        .page(owner.id, None, PageRequest::new(1, 3).unwrap())
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
            .page(owner.id, None, PageRequest::new(page, 3).unwrap())
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
            Some(ProjectStatus::Completed),
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
            Some(ProjectStatus::Archived),
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
        .page(owner.id, None, PageRequest::new(5, 2).unwrap())
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
        .page(ada.id, None, PageRequest::default())
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
