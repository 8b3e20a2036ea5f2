//! The services over the in-memory store, with a cheap bcrypt cost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Instant};
use trellis_domain::{
    ClientInfo, Draft, Email, FullName, Page, PageRequest, Password, Precondition, ProfilePatch,
    ProjectName, ProjectPatch, ProjectStatus, Role, StatusSet, UserId,
};
use trellis_memory::InMemoryStore;
use trellis_password::BcryptHasher;
use trellis_ports::{
    AccountService, Actor, AdminService, ListingWindow, ProjectList, ProjectListing,
    ProjectService, Registration, Resource, ServiceError, UserRepository,
};
use trellis_services::{
    AccountsService, AdminUsersService, CursorKey, ProjectsService, RefreshKey, SessionIssuer,
    SessionPolicy, SystemClock,
};

struct World {
    store: Arc<InMemoryStore>,
    accounts: AccountsService,
    projects: ProjectsService,
    admin: AdminUsersService,
}

fn world_with_cost(cost: u32) -> World {
    let store = Arc::new(InMemoryStore::new());
    let hasher = Arc::new(BcryptHasher::new(cost).unwrap());
    World {
        accounts: AccountsService::new(store.clone(), hasher, issuer(&store)),
        projects: ProjectsService::new(
            store.clone(),
            store.clone(),
            Arc::new(SystemClock),
            CursorKey::derive(b"secret"),
        ),
        admin: AdminUsersService::new(store.clone()),
        store,
    }
}

/// The first page of the projects with `statuses`, in the default order.
fn listing(statuses: Option<StatusSet>) -> ProjectListing {
    ProjectListing {
        sort: None,
        statuses,
        search: None,
        window: ListingWindow::Page(PageRequest::default()),
    }
}

/// Sessions in `store`, the cheapest way.
fn issuer(store: &Arc<InMemoryStore>) -> SessionIssuer {
    SessionIssuer::new(
        store.clone(),
        RefreshKey::derive(b"services-tests-secret-of-32-bytes!!"),
        SessionPolicy::default(),
        Arc::new(SystemClock),
    )
}

impl World {
    /// Registers `email` with the password `correct horse`.
    async fn sign_up(&self, email: &str) -> trellis_domain::User {
        self.accounts
            .register(registration(email, "correct horse"), ClientInfo::default())
            .await
            .unwrap()
            .user
    }
}

fn world() -> World {
    world_with_cost(4)
}

fn registration(email: &str, password: &str) -> Registration {
    Registration {
        email: Email::parse(email).unwrap(),
        password: Password::parse(password).unwrap(),
        full_name: FullName::parse("Ada Lovelace").unwrap(),
    }
}

/// A new project with only a name, as a draft.
fn named(name: &str) -> Draft<ProjectPatch> {
    Draft::valid(ProjectPatch {
        name: Some(ProjectName::parse(name).unwrap()),
        ..ProjectPatch::default()
    })
}

fn actor(id: UserId, role: Role) -> Actor {
    Actor {
        id,
        role,
        session: None,
    }
}

async fn login(
    world: &World,
    email: &str,
    password: &str,
) -> Result<trellis_domain::User, ServiceError> {
    world
        .accounts
        .login(
            Email::parse(email).unwrap(),
            Password::attempt(password).unwrap(),
            ClientInfo::default(),
        )
        .await
        .map(|grant| grant.user)
}

#[tokio::test]
async fn register_then_login_with_any_letter_case() {
    let world = world();
    let user = world.sign_up(" Ada@Example.COM ").await;
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!(user.role, Role::User);
    let again = login(&world, "ADA@example.com", "correct horse")
        .await
        .unwrap();
    assert_eq!(again.id, user.id);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_the_same_error() {
    let world = world();
    world.sign_up("ada@example.com").await;
    let wrong = login(&world, "ada@example.com", "wrong horse").await;
    let unknown = login(&world, "eve@example.com", "correct horse").await;
    assert!(
        matches!(wrong, Err(ServiceError::InvalidCredentials)),
        "{wrong:?}"
    );
    assert!(
        matches!(unknown, Err(ServiceError::InvalidCredentials)),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_unknown_email_costs_a_full_verification() {
    let world = world_with_cost(10);
    world.sign_up("ada@example.com").await;
    // Warm up the dummy hash, then compare one unknown-email login with one
    // wrong-password login: both must run bcrypt once.
    let _ = login(&world, "nobody@example.com", "x").await;
    let started = Instant::now();
    let _ = login(&world, "ada@example.com", "wrong horse").await;
    let wrong = started.elapsed();
    let started = Instant::now();
    let _ = login(&world, "nobody@example.com", "wrong horse").await;
    let unknown = started.elapsed();
    assert!(
        unknown * 3 > wrong,
        "unknown e-mail answered in {unknown:?}, wrong password in {wrong:?}"
    );
}

#[tokio::test]
async fn registering_a_taken_email_in_another_case_is_refused() {
    let world = world();
    world.sign_up("ada@example.com").await;
    let again = world
        .accounts
        .register(
            registration("ADA@example.com", "another one"),
            ClientInfo::default(),
        )
        .await;
    assert!(matches!(again, Err(ServiceError::EmailTaken)), "{again:?}");
}

#[tokio::test]
async fn profile_updates_need_a_field_and_a_free_email() {
    let world = world();
    let ada = world.sign_up("ada@example.com").await;
    world.sign_up("grace@example.com").await;
    let me = actor(ada.id, Role::User);
    let empty = world
        .accounts
        .update_me(&me, ProfilePatch::default().into())
        .await;
    match empty {
        Err(ServiceError::Validation(violations)) => {
            assert_eq!(
                violations[0].to_string(),
                "body: must contain at least one of: full_name, email"
            );
        }
        other => panic!("{other:?}"),
    }
    let taken = ProfilePatch {
        email: Some(Email::parse("grace@example.com").unwrap()),
        full_name: None,
    };
    assert!(matches!(
        world.accounts.update_me(&me, taken.into()).await,
        Err(ServiceError::EmailTaken)
    ));
    let renamed = ProfilePatch {
        full_name: Some(FullName::parse("Countess").unwrap()),
        email: None,
    };
    let updated = world.accounts.update_me(&me, renamed.into()).await.unwrap();
    assert_eq!(updated.full_name.as_str(), "Countess");
    assert_eq!(world.accounts.me(&me).await.unwrap(), updated);
}

#[tokio::test]
async fn a_deleted_account_is_not_found() {
    let world = world();
    let ada = world.sign_up("ada@example.com").await;
    world.store.delete(ada.id).await.unwrap();
    let me = world.accounts.me(&actor(ada.id, Role::User)).await;
    assert!(
        matches!(me, Err(ServiceError::NotFound(Resource::User))),
        "{me:?}"
    );
}

#[tokio::test]
async fn projects_belong_to_their_owner_whatever_the_role() {
    let world = world();
    let ada = world.sign_up("ada@example.com").await;
    let eve = world.sign_up("eve@example.com").await;
    world.store.set_role(eve.id, Role::Admin).await.unwrap();
    let (ada, eve) = (actor(ada.id, Role::User), actor(eve.id, Role::Admin));
    let project = world.projects.create(&ada, named("Engine")).await.unwrap();
    let rename = ProjectPatch {
        name: Some(ProjectName::parse("Mine").unwrap()),
        ..Default::default()
    };
    let not_found =
        |r: Result<_, ServiceError>| matches!(r, Err(ServiceError::NotFound(Resource::Project)));
    assert!(not_found(
        world.projects.get(&eve, project.id).await.map(|_| ())
    ));
    assert!(not_found(
        world
            .projects
            .update(&eve, project.id, rename.clone().into(), &Precondition::None)
            .await
            .map(|_| ())
    ));
    assert!(not_found(
        world
            .projects
            .delete(&eve, project.id, &Precondition::None)
            .await
    ));
    assert_eq!(
        world.projects.list(&eve, listing(None)).await.unwrap(),
        ProjectList::Page {
            page: Page {
                items: vec![],
                total: 0,
                request: PageRequest::default()
            },
            next_cursor: None
        }
    );
    assert_eq!(
        world
            .projects
            .update(&ada, project.id, rename.into(), &Precondition::None)
            .await
            .unwrap()
            .name
            .as_str(),
        "Mine"
    );
    let active = world
        .projects
        .list(&ada, listing(Some(StatusSet::only(ProjectStatus::Active))))
        .await
        .unwrap();
    assert!(matches!(active, ProjectList::Page { page, .. } if page.total == 1));
    world
        .projects
        .delete(&ada, project.id, &Precondition::None)
        .await
        .unwrap();
    assert!(not_found(
        world.projects.get(&ada, project.id).await.map(|_| ())
    ));
}

#[tokio::test]
async fn an_empty_project_patch_is_a_validation_error() {
    let world = world();
    let ada = world.sign_up("ada@example.com").await;
    let ada = actor(ada.id, Role::User);
    let project = world.projects.create(&ada, named("Engine")).await.unwrap();
    match world
        .projects
        .update(
            &ada,
            project.id,
            ProjectPatch::default().into(),
            &Precondition::None,
        )
        .await
    {
        Err(ServiceError::Validation(violations)) => {
            assert_eq!(
                violations[0].to_string(),
                "body: must contain at least one of: name, description, status, budget, deadline"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn only_a_current_admin_manages_users() {
    let world = world();
    let ada = world.sign_up("ada@example.com").await;
    let eve = world.sign_up("eve@example.com").await;
    let forbidden = |r: Result<(), ServiceError>| matches!(r, Err(ServiceError::Forbidden));

    // A plain user, even one whose token claims admin, is refused.
    for role in [Role::User, Role::Admin] {
        let caller = actor(eve.id, role);
        assert!(forbidden(
            world
                .admin
                .list_users(&caller, PageRequest::default())
                .await
                .map(|_| ())
        ));
        assert!(forbidden(
            world.admin.get_user(&caller, ada.id).await.map(|_| ())
        ));
        assert!(forbidden(
            world
                .admin
                .set_role(&caller, ada.id, Role::Admin)
                .await
                .map(|_| ())
        ));
    }

    world.store.set_role(ada.id, Role::Admin).await.unwrap();
    let admin = actor(ada.id, Role::Admin);
    assert_eq!(
        world
            .admin
            .list_users(&admin, PageRequest::default())
            .await
            .unwrap()
            .total,
        2
    );
    assert_eq!(
        world.admin.get_user(&admin, eve.id).await.unwrap().id,
        eve.id
    );
    let missing = world.admin.get_user(&admin, UserId::generate()).await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound(Resource::User))),
        "{missing:?}"
    );
    let promoted = world
        .admin
        .set_role(&admin, eve.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);

    // Eve demotes Ada; Ada's admin token is worth nothing now.
    world
        .admin
        .set_role(&actor(eve.id, Role::Admin), ada.id, Role::User)
        .await
        .unwrap();
    assert!(forbidden(
        world
            .admin
            .list_users(&admin, PageRequest::default())
            .await
            .map(|_| ())
    ));
}
