//! Accounts, in the `users` table.

use crate::{
    PgStore, failure,
    page::PageWindow,
    store::{Sql, inserted},
};
use async_trait::async_trait;
use tokio_postgres::{Row, types::Type};
use trellis_domain::{
    Email, FullName, NewUser, Page, PageRequest, PasswordHash, ProfilePatch, Role, User,
};
use trellis_ports::{RepositoryError, UserRepository};
use uuid::Uuid;

const INSERT: Sql = Sql {
    text: "\
INSERT INTO users (id, email, password_hash, full_name, role)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, email, full_name, role, created_at, updated_at",
    types: &[Type::UUID, Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT],
};

const BY_ID: Sql = Sql {
    text: "\
SELECT id, email, full_name, role, created_at, updated_at
FROM users WHERE id = $1",
    types: &[Type::UUID],
};

// `lower(email)` matches the unique index, whatever the stored case.
const BY_EMAIL: Sql = Sql {
    text: "\
SELECT id, email, full_name, role, created_at, updated_at
FROM users WHERE lower(email) = lower($1)",
    types: &[Type::TEXT],
};

const CREDENTIALS: Sql = Sql {
    text: "\
SELECT id, email, full_name, role, created_at, updated_at, password_hash
FROM users WHERE lower(email) = lower($1)",
    types: &[Type::TEXT],
};

// One fixed statement for every patch: an absent field is NULL and keeps
// the column. The trigger bumps updated_at.
const UPDATE_PROFILE: Sql = Sql {
    text: "\
UPDATE users
SET full_name = COALESCE($2::text, full_name),
    email = COALESCE($3::text, email)
WHERE id = $1
RETURNING id, email, full_name, role, created_at, updated_at",
    types: &[Type::UUID, Type::TEXT, Type::TEXT],
};

const SET_ROLE: Sql = Sql {
    text: "\
UPDATE users SET role = $2 WHERE id = $1
RETURNING id, email, full_name, role, created_at, updated_at",
    types: &[Type::UUID, Type::TEXT],
};

const SET_PASSWORD_HASH: Sql = Sql {
    text: "UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING id",
    types: &[Type::UUID, Type::TEXT],
};

// The foreign key cascades: the projects go in the same statement.
const DELETE: Sql = Sql {
    text: "DELETE FROM users WHERE id = $1 RETURNING id",
    types: &[Type::UUID],
};

/// A page of accounts and their total in one round trip; see [`PageWindow`].
pub(crate) const PAGE: Sql = Sql {
    text: "\
SELECT matching.total, u.id, u.email, u.full_name, u.role, u.created_at, u.updated_at
FROM (SELECT count(*) AS total FROM users) AS matching
LEFT JOIN LATERAL (
    SELECT id, email, full_name, role, created_at, updated_at
    FROM users
    ORDER BY created_at DESC, id
    LIMIT $1 OFFSET $2
) AS u ON true
ORDER BY u.created_at DESC, u.id",
    types: &[Type::INT8, Type::INT8],
};

#[async_trait]
impl UserRepository for PgStore {
    async fn create(&self, user: NewUser) -> Result<User, RepositoryError> {
        let rows = self
            .rows(
                &INSERT,
                &[
                    &user.id.as_uuid(),
                    &user.email.as_str(),
                    &user.password_hash.expose(),
                    &user.full_name.as_str(),
                    &user.role.as_str(),
                ],
            )
            .await?;
        inserted(&rows).and_then(user_from)
    }

    async fn find_by_id(
        &self,
        id: trellis_domain::UserId,
    ) -> Result<Option<User>, RepositoryError> {
        let rows = self.read(&BY_ID, &[&id.as_uuid()]).await?;
        rows.first().map(user_from).transpose()
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        let rows = self.rows(&BY_EMAIL, &[&email.as_str()]).await?;
        rows.first().map(user_from).transpose()
    }

    async fn find_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, RepositoryError> {
        let rows = self.rows(&CREDENTIALS, &[&email.as_str()]).await?;
        rows.first()
            .map(|row| {
                let hash: String = row.try_get("password_hash").map_err(failure::from_query)?;
                Ok((user_from(row)?, PasswordHash::new(hash)))
            })
            .transpose()
    }

    async fn update_profile(
        &self,
        id: trellis_domain::UserId,
        patch: &ProfilePatch,
    ) -> Result<Option<User>, RepositoryError> {
        let full_name = patch.full_name.as_ref().map(FullName::as_str);
        let email = patch.email.as_ref().map(Email::as_str);
        let rows = self
            .rows(&UPDATE_PROFILE, &[&id.as_uuid(), &full_name, &email])
            .await?;
        rows.first().map(user_from).transpose()
    }

    async fn set_password_hash(
        &self,
        id: trellis_domain::UserId,
        hash: PasswordHash,
    ) -> Result<bool, RepositoryError> {
        let rows = self
            .rows(&SET_PASSWORD_HASH, &[&id.as_uuid(), &hash.expose()])
            .await?;
        Ok(!rows.is_empty())
    }

    async fn set_role(
        &self,
        id: trellis_domain::UserId,
        role: Role,
    ) -> Result<Option<User>, RepositoryError> {
        let rows = self
            .rows(&SET_ROLE, &[&id.as_uuid(), &role.as_str()])
            .await?;
        rows.first().map(user_from).transpose()
    }

    async fn delete(&self, id: trellis_domain::UserId) -> Result<bool, RepositoryError> {
        // Its projects go with it, each with its event.
        let _writing = self.writing(id);
        Ok(!self.rows(&DELETE, &[&id.as_uuid()]).await?.is_empty())
    }

    async fn page(&self, request: PageRequest) -> Result<Page<User>, RepositoryError> {
        let window = PageWindow::of(request);
        let rows = self.rows(&PAGE, &[&window.limit, &window.offset]).await?;
        window.collect(&rows, user_from)
    }
}

/// An account from a row holding the columns the statements above select.
fn user_from(row: &Row) -> Result<User, RepositoryError> {
    let text = |column: &str| {
        row.try_get::<_, String>(column)
            .map_err(failure::from_query)
    };
    let id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    Ok(User {
        id: id.into(),
        email: Email::parse(&text("email")?).map_err(|e| failure::unexpected("email", e))?,
        full_name: FullName::parse(&text("full_name")?)
            .map_err(|e| failure::unexpected("full_name", e))?,
        role: text("role")?
            .parse()
            .map_err(|e| failure::unexpected("role", e))?,
        created_at: row.try_get("created_at").map_err(failure::from_query)?,
        updated_at: row.try_get("updated_at").map_err(failure::from_query)?,
    })
}
