//! Managing accounts, for admins only.

use async_trait::async_trait;
use std::sync::Arc;
use trellis_domain::{Page, PageRequest, Role, User, UserId};
use trellis_ports::{Actor, AdminService, Resource, ServiceError, UserRepository};

/// The [`AdminService`] of Trellis. The caller's role is checked against
/// storage on every call, so a token issued before a demotion grants nothing.
#[derive(Clone)]
pub struct AdminUsersService {
    users: Arc<dyn UserRepository>,
}

impl std::fmt::Debug for AdminUsersService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminUsersService")
    }
}

impl AdminUsersService {
    /// Accounts kept in `users`.
    pub fn new(users: Arc<dyn UserRepository>) -> Self {
        Self { users }
    }

    async fn ensure_admin(&self, actor: &Actor) -> Result<(), ServiceError> {
        ensure_admin(self.users.as_ref(), actor).await
    }
}

/// Succeeds only if the caller claims to be an admin and still is one.
pub(crate) async fn ensure_admin(
    users: &dyn UserRepository,
    actor: &Actor,
) -> Result<(), ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    match users.find_by_id(actor.id).await? {
        Some(user) if user.role == Role::Admin => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

const NOT_FOUND: ServiceError = ServiceError::NotFound(Resource::User);

#[async_trait]
impl AdminService for AdminUsersService {
    async fn list_users(
        &self,
        actor: &Actor,
        request: PageRequest,
    ) -> Result<Page<User>, ServiceError> {
        self.ensure_admin(actor).await?;
        Ok(self.users.page(request).await?)
    }

    async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User, ServiceError> {
        self.ensure_admin(actor).await?;
        self.users.find_by_id(id).await?.ok_or(NOT_FOUND)
    }

    async fn set_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User, ServiceError> {
        self.ensure_admin(actor).await?;
        self.users.set_role(id, role).await?.ok_or(NOT_FOUND)
    }
}
