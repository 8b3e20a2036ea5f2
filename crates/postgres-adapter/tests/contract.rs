//! The PostgreSQL store passes the repository contract, each case on a
//! database of its own, with prepared statements and without them (each
//! statement sent unnamed with its declared parameter types, as behind a
//! transaction-pooling PgBouncer).

use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{
    Email, NewProject, NewUser, Page, PageRequest, PasswordHash, ProfilePatch, Project, ProjectId,
    ProjectPatch, ProjectStatus, Role, User, UserId,
};
use trellis_ports::{ProjectRepository, RepositoryError, UserRepository, testkit::Repos};
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

/// The store, keeping its test database alive (and so undropped) for as
/// long as the case holds the repositories.
struct OnTestDatabase {
    store: PgStore,
    _database: TestDatabase,
}

async fn repos(prepared_statements: bool) -> Repos {
    let database = TestDatabase::create().await;
    let store = PgStore::connect(PgSettings {
        prepared_statements,
        ..database.settings()
    })
    .unwrap_or_else(|e| panic!("test store: {e}"));
    let held = Arc::new(OnTestDatabase {
        store,
        _database: database,
    });
    Repos {
        users: held.clone(),
        projects: held,
    }
}

trellis_ports::repository_contract!(repos(true));

mod without_prepared_statements {
    use super::repos;

    trellis_ports::repository_contract!(repos(false));
}

#[async_trait]
impl UserRepository for OnTestDatabase {
    async fn create(&self, user: NewUser) -> Result<User, RepositoryError> {
        UserRepository::create(&self.store, user).await
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        self.store.find_by_id(id).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        self.store.find_by_email(email).await
    }

    async fn find_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, RepositoryError> {
        self.store.find_credentials(email).await
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
    ) -> Result<Option<User>, RepositoryError> {
        self.store.update_profile(id, patch).await
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, RepositoryError> {
        self.store.set_role(id, role).await
    }

    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError> {
        UserRepository::delete(&self.store, id).await
    }

    async fn page(&self, request: PageRequest) -> Result<Page<User>, RepositoryError> {
        UserRepository::page(&self.store, request).await
    }
}

#[async_trait]
impl ProjectRepository for OnTestDatabase {
    async fn create(&self, owner: UserId, project: NewProject) -> Result<Project, RepositoryError> {
        ProjectRepository::create(&self.store, owner, project).await
    }

    async fn find(&self, owner: UserId, id: ProjectId) -> Result<Option<Project>, RepositoryError> {
        self.store.find(owner, id).await
    }

    async fn update(
        &self,
        owner: UserId,
        id: ProjectId,
        patch: &ProjectPatch,
    ) -> Result<Option<Project>, RepositoryError> {
        self.store.update(owner, id, patch).await
    }

    async fn delete(&self, owner: UserId, id: ProjectId) -> Result<bool, RepositoryError> {
        ProjectRepository::delete(&self.store, owner, id).await
    }

    async fn page(
        &self,
        owner: UserId,
        status: Option<ProjectStatus>,
        request: PageRequest,
    ) -> Result<Page<Project>, RepositoryError> {
        ProjectRepository::page(&self.store, owner, status, request).await
    }
}
