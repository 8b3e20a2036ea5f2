//! Sessions and refresh-token digests, in `sessions` and `refresh_tokens`.
//! A trigger (migration V2) notifies `trellis_session_ended` whenever a
//! live session ends; see [`listener`](crate::listener).

use crate::{PgStore, failure, store::Sql};
use async_trait::async_trait;
use std::{net::IpAddr, time::Duration};
use tokio_postgres::{Row, types::Type};
use trellis_domain::{ClientInfo, Session, Timestamp, TokenDigest, UserAgent, UserId};
use trellis_ports::{NewSession, RepositoryError, Revoked, Rotation, SessionRepository};
use uuid::Uuid;

const CREATE: Sql = Sql {
    text: "\
WITH created AS (
    INSERT INTO sessions (id, user_id, expires_at, user_agent, ip)
    VALUES ($1, $2, $3, $4, $5)
    RETURNING id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip
), first_token AS (
    INSERT INTO refresh_tokens (digest, session_id) SELECT $6, id FROM created
)
SELECT * FROM created",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::INET,
        Type::BYTEA,
    ],
};

// Spends a live token and stores its successor in one statement. Of two
// racing, the second waits on the row lock and then finds it spent.
const ROTATE: Sql = Sql {
    text: "\
WITH spent AS (
    UPDATE refresh_tokens t SET spent_at = now()
    FROM sessions s
    WHERE t.digest = $1 AND t.spent_at IS NULL
      AND s.id = t.session_id AND s.revoked_at IS NULL AND s.expires_at > now()
    RETURNING t.session_id
), successor AS (
    INSERT INTO refresh_tokens (digest, session_id) SELECT $2, session_id FROM spent
    RETURNING session_id
)
UPDATE sessions
SET last_used_at = now(), user_agent = COALESCE($3, user_agent), ip = COALESCE($4, ip)
WHERE id IN (SELECT session_id FROM successor)
RETURNING id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip",
    types: &[Type::BYTEA, Type::BYTEA, Type::TEXT, Type::INET],
};

// A token that did not rotate: spent, and how long ago, if its session lives.
const SPENT: Sql = Sql {
    text: "\
SELECT s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent,
       s.ip, t.spent_at, now() - t.spent_at <= $2::int8 * interval '1 millisecond' AS in_grace
FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
WHERE t.digest = $1 AND t.spent_at IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > now()",
    types: &[Type::BYTEA, Type::INT8],
};

const END_STOLEN: Sql = Sql {
    text: "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    types: &[Type::UUID],
};

const ACTIVE: Sql = Sql {
    text: "\
SELECT id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip
FROM sessions
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC, id DESC",
    types: &[Type::UUID],
};

const REVOKE: Sql = Sql {
    text: "\
UPDATE sessions SET revoked_at = now()
WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
RETURNING id, revoked_at",
    types: &[Type::UUID, Type::UUID],
};

const REVOKE_ALL: Sql = Sql {
    text: "\
UPDATE sessions SET revoked_at = now()
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
RETURNING id, revoked_at",
    types: &[Type::UUID],
};

const REVOKED_SINCE: Sql = Sql {
    text: "SELECT id, revoked_at FROM sessions WHERE revoked_at > $1",
    types: &[Type::TIMESTAMPTZ],
};

const SWEEP: Sql = Sql {
    text: "\
WITH swept AS (DELETE FROM sessions WHERE expires_at < $1 RETURNING 1)
SELECT count(*) FROM swept",
    types: &[Type::TIMESTAMPTZ],
};

#[async_trait]
impl SessionRepository for PgStore {
    async fn create(&self, new: NewSession) -> Result<Session, RepositoryError> {
        let user_agent = new.client.user_agent.as_ref().map(UserAgent::as_str);
        let rows = self
            .rows(
                &CREATE,
                &[
                    &new.id.as_uuid(),
                    &new.user_id.as_uuid(),
                    &new.expires_at,
                    &user_agent,
                    &new.client.ip,
                    &&new.token.0[..],
                ],
            )
            .await?;
        crate::store::inserted(&rows).and_then(session_from)
    }

    async fn rotate(
        &self,
        presented: TokenDigest,
        successor: TokenDigest,
        grace: Duration,
        client: &ClientInfo,
    ) -> Result<Rotation, RepositoryError> {
        let user_agent = client.user_agent.as_ref().map(UserAgent::as_str);
        let rows = self
            .rows(
                &ROTATE,
                &[
                    &&presented.0[..],
                    &&successor.0[..],
                    &user_agent,
                    &client.ip,
                ],
            )
            .await?;
        if let Some(row) = rows.first() {
            return session_from(row).map(Rotation::Rotated);
        }
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let rows = self.rows(&SPENT, &[&&presented.0[..], &grace_ms]).await?;
        let Some(row) = rows.first() else {
            return Ok(Rotation::Invalid);
        };
        let session = session_from(row)?;
        if row
            .try_get::<_, bool>("in_grace")
            .map_err(failure::from_query)?
        {
            let spent_at = row.try_get("spent_at").map_err(failure::from_query)?;
            return Ok(Rotation::Replayed { session, spent_at });
        }
        self.rows(&END_STOLEN, &[&session.id.as_uuid()]).await?;
        Ok(Rotation::Reused)
    }

    async fn active(&self, user: UserId) -> Result<Vec<Session>, RepositoryError> {
        let rows = self.rows(&ACTIVE, &[&user.as_uuid()]).await?;
        rows.iter().map(session_from).collect()
    }

    async fn revoke(
        &self,
        user: UserId,
        id: trellis_domain::SessionId,
    ) -> Result<Option<Revoked>, RepositoryError> {
        let rows = self
            .rows(&REVOKE, &[&id.as_uuid(), &user.as_uuid()])
            .await?;
        rows.first().map(revoked_from).transpose()
    }

    async fn revoke_all(&self, user: UserId) -> Result<Vec<Revoked>, RepositoryError> {
        let rows = self.rows(&REVOKE_ALL, &[&user.as_uuid()]).await?;
        rows.iter().map(revoked_from).collect()
    }

    async fn revoked_since(&self, since: Timestamp) -> Result<Vec<Revoked>, RepositoryError> {
        let rows = self.rows(&REVOKED_SINCE, &[&since]).await?;
        rows.iter().map(revoked_from).collect()
    }

    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let rows = self.rows(&SWEEP, &[&before]).await?;
        count(&rows)
    }
}

pub(crate) fn count(rows: &[Row]) -> Result<u64, RepositoryError> {
    let count: i64 = crate::store::inserted(rows)?
        .try_get(0)
        .map_err(failure::from_query)?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// An ended session from a row of `id` and `revoked_at`.
fn revoked_from(row: &Row) -> Result<Revoked, RepositoryError> {
    let id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    Ok(Revoked {
        id: id.into(),
        at: row.try_get("revoked_at").map_err(failure::from_query)?,
    })
}

/// A session from a row holding the columns the statements above return.
fn session_from(row: &Row) -> Result<Session, RepositoryError> {
    let get_err = failure::from_query;
    let id: Uuid = row.try_get("id").map_err(get_err)?;
    let user_id: Uuid = row.try_get("user_id").map_err(get_err)?;
    let user_agent: Option<String> = row.try_get("user_agent").map_err(get_err)?;
    let ip: Option<IpAddr> = row.try_get("ip").map_err(get_err)?;
    Ok(Session {
        id: id.into(),
        user_id: user_id.into(),
        created_at: row.try_get("created_at").map_err(get_err)?,
        last_used_at: row.try_get("last_used_at").map_err(get_err)?,
        expires_at: row.try_get("expires_at").map_err(get_err)?,
        revoked_at: row.try_get("revoked_at").map_err(get_err)?,
        user_agent: user_agent.as_deref().and_then(UserAgent::from_header),
        ip,
    })
}
