//! Accounts, indexed by id, by e-mail and by listing order.

use crate::store::InMemoryStore;
use async_trait::async_trait;
use std::{
    cmp::Reverse,
    collections::{BTreeSet, HashMap},
};
use trellis_domain::{
    Email, NewUser, Page, PageRequest, PasswordHash, ProfilePatch, Role, Timestamp, User, UserId,
};
use trellis_ports::{RepositoryError, UserRepository};

type OrderKey = (Reverse<Timestamp>, UserId);

#[derive(Debug, Default)]
pub(crate) struct Users {
    by_id: HashMap<UserId, (User, PasswordHash)>,
    by_email: HashMap<Email, UserId>,
    order: BTreeSet<OrderKey>,
}

impl Users {
    pub(crate) fn contains(&self, id: UserId) -> bool {
        self.by_id.contains_key(&id)
    }

    fn get(&self, id: UserId) -> Option<&User> {
        self.by_id.get(&id).map(|(user, _)| user)
    }

    fn get_mut(&mut self, id: UserId) -> Option<&mut User> {
        self.by_id.get_mut(&id).map(|(user, _)| user)
    }

    fn by_email(&self, email: &Email) -> Option<&(User, PasswordHash)> {
        self.by_email.get(email).and_then(|id| self.by_id.get(id))
    }

    fn email_taken_by_other(&self, email: &Email, id: UserId) -> bool {
        self.by_email.get(email).is_some_and(|owner| *owner != id)
    }
}

fn order_key(user: &User) -> OrderKey {
    (Reverse(user.created_at), user.id)
}

#[async_trait]
impl UserRepository for InMemoryStore {
    async fn create(&self, new: NewUser) -> Result<User, RepositoryError> {
        let mut state = self.write();
        if state.users.by_email.contains_key(&new.email) {
            return Err(RepositoryError::EmailTaken);
        }
        let now = state.stamp();
        let user = User {
            id: new.id,
            email: new.email,
            full_name: new.full_name,
            role: new.role,
            created_at: now,
            updated_at: now,
        };
        let users = &mut state.users;
        users.by_email.insert(user.email.clone(), user.id);
        users.order.insert(order_key(&user));
        users
            .by_id
            .insert(user.id, (user.clone(), new.password_hash));
        Ok(user)
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        Ok(self.read().users.get(id).cloned())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        Ok(self
            .read()
            .users
            .by_email(email)
            .map(|(user, _)| user.clone()))
    }

    async fn find_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, RepositoryError> {
        Ok(self.read().users.by_email(email).cloned())
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
    ) -> Result<Option<User>, RepositoryError> {
        let mut state = self.write();
        let Some(current) = state.users.get(id) else {
            return Ok(None);
        };
        let old_email = current.email.clone();
        if let Some(email) = &patch.email
            && state.users.email_taken_by_other(email, id)
        {
            return Err(RepositoryError::EmailTaken);
        }
        let now = state.stamp();
        let users = &mut state.users;
        if let Some(email) = &patch.email {
            users.by_email.remove(&old_email);
            users.by_email.insert(email.clone(), id);
        }
        let Some(user) = users.get_mut(id) else {
            return Ok(None);
        };
        if let Some(full_name) = &patch.full_name {
            user.full_name = full_name.clone();
        }
        if let Some(email) = &patch.email {
            user.email = email.clone();
        }
        user.updated_at = now;
        Ok(Some(user.clone()))
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
    ) -> Result<bool, RepositoryError> {
        let mut state = self.write();
        let now = state.stamp();
        Ok(match state.users.by_id.get_mut(&id) {
            Some((user, stored)) => {
                *stored = hash;
                user.updated_at = now;
                true
            }
            None => false,
        })
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, RepositoryError> {
        let mut state = self.write();
        if !state.users.contains(id) {
            return Ok(None);
        }
        let now = state.stamp();
        Ok(state.users.get_mut(id).map(|user| {
            user.role = role;
            user.updated_at = now;
            user.clone()
        }))
    }

    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError> {
        let mut state = self.write();
        let Some((user, _)) = state.users.by_id.remove(&id) else {
            return Ok(false);
        };
        state.users.by_email.remove(&user.email);
        state.users.order.remove(&order_key(&user));
        state.keys.remove_owner(id);
        let now = state.stamp();
        for project in state.projects.remove_owner(id) {
            state.attachments.remove_project(project, now);
        }
        let ended = state.sessions.remove_owner(id, now);
        drop(state);
        self.announce(ended);
        Ok(true)
    }

    async fn page(&self, request: PageRequest) -> Result<Page<User>, RepositoryError> {
        let state = self.read();
        let users = &state.users;
        let items = users
            .order
            .iter()
            .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
            .take(request.limit() as usize)
            .filter_map(|(_, id)| users.get(*id).cloned())
            .collect();
        Ok(Page {
            items,
            total: users.order.len() as u64,
            request,
        })
    }
}
