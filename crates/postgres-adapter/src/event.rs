//! Events, in `events`: written by a trigger on `projects` in the change's
//! own transaction (migrations V4 and V7), and announced on `trellis_event`
//! after the commit by the instance that wrote them (see the `announce`
//! module and [`listener`](crate::listener)). Stream tickets, in
//! `event_tickets`.

use crate::{PgStore, failure, project::project_from, session::count, store::Sql};
use async_trait::async_trait;
use tokio_postgres::{Row, types::Type};
use trellis_domain::{Event, EventId, EventKind, Timestamp, TokenDigest, UserId};
use trellis_ports::{Actor, EventLog, Position, RepositoryError, TicketRepository};
use uuid::Uuid;

// One cursor per owner; the `(user_id, id)` index serves each. The project's
// columns carry the names `project_from` reads.
const AFTER: Sql = Sql {
    text: "\
SELECT e.id AS event_id, e.kind, e.at, e.user_id, e.project_id AS id, e.name, e.description,
       e.status, (e.budget * 100)::int8 AS budget_cents, e.deadline, e.created_at, e.updated_at
FROM unnest($1::uuid[], $2::int8[]) AS c(owner, after)
JOIN events e ON e.user_id = c.owner AND e.id > c.after
ORDER BY e.id
LIMIT $3",
    types: &[Type::UUID_ARRAY, Type::INT8_ARRAY, Type::INT8],
};

const POSITION: Sql = Sql {
    text: "\
SELECT (SELECT COALESCE(max(id), 0) FROM events WHERE user_id = $1) AS latest, swept_through
FROM event_horizon",
    types: &[Type::UUID],
};

const SWEEP: Sql = Sql {
    text: "\
WITH swept AS (DELETE FROM events WHERE at < $1 RETURNING id),
horizon AS (
    UPDATE event_horizon SET swept_through = GREATEST(swept_through, (SELECT max(id) FROM swept))
)
SELECT count(*) FROM swept",
    types: &[Type::TIMESTAMPTZ],
};

const ISSUE_TICKET: Sql = Sql {
    text: "\
INSERT INTO event_tickets (digest, user_id, role, session_id, expires_at)
VALUES ($1, $2, $3, $4, $5)",
    types: &[
        Type::BYTEA,
        Type::UUID,
        Type::TEXT,
        Type::UUID,
        Type::TIMESTAMPTZ,
    ],
};

// Deleting is spending: of two redemptions racing, one deletes the row.
const REDEEM_TICKET: Sql = Sql {
    text: "\
DELETE FROM event_tickets WHERE digest = $1 AND expires_at > $2
RETURNING user_id, role, session_id",
    types: &[Type::BYTEA, Type::TIMESTAMPTZ],
};

const SWEEP_TICKETS: Sql = Sql {
    text: "\
WITH swept AS (DELETE FROM event_tickets WHERE expires_at < $1 RETURNING 1)
SELECT count(*) FROM swept",
    types: &[Type::TIMESTAMPTZ],
};

#[async_trait]
impl EventLog for PgStore {
    async fn after(
        &self,
        cursors: &[(UserId, EventId)],
        limit: usize,
    ) -> Result<Vec<Event>, RepositoryError> {
        if cursors.is_empty() {
            return Ok(Vec::new());
        }
        let owners: Vec<Uuid> = cursors.iter().map(|(owner, _)| owner.as_uuid()).collect();
        let afters: Vec<i64> = cursors.iter().map(|(_, after)| after.get()).collect();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.rows(&AFTER, &[&owners, &afters, &limit]).await?;
        rows.iter().map(event_from).collect()
    }

    async fn position(&self, owner: UserId) -> Result<Position, RepositoryError> {
        let rows = self.rows(&POSITION, &[&owner.as_uuid()]).await?;
        let row = crate::store::inserted(&rows)?;
        Ok(Position {
            latest: event_id(row, "latest")?,
            swept_through: event_id(row, "swept_through")?,
        })
    }

    async fn sweep(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        count(&self.rows(&SWEEP, &[&before]).await?)
    }
}

#[async_trait]
impl TicketRepository for PgStore {
    async fn issue(
        &self,
        digest: TokenDigest,
        actor: &Actor,
        expires_at: Timestamp,
    ) -> Result<(), RepositoryError> {
        let session = actor.session.map(|session| session.as_uuid());
        self.rows(
            &ISSUE_TICKET,
            &[
                &&digest.0[..],
                &actor.id.as_uuid(),
                &actor.role.as_str(),
                &session,
                &expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn redeem(
        &self,
        digest: TokenDigest,
        now: Timestamp,
    ) -> Result<Option<Actor>, RepositoryError> {
        let rows = self.rows(&REDEEM_TICKET, &[&&digest.0[..], &now]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let id: Uuid = row.try_get("user_id").map_err(failure::from_query)?;
        let role: String = row.try_get("role").map_err(failure::from_query)?;
        let session: Option<Uuid> = row.try_get("session_id").map_err(failure::from_query)?;
        Ok(Some(Actor {
            id: id.into(),
            role: role.parse().map_err(|e| failure::unexpected("role", e))?,
            session: session.map(Into::into),
        }))
    }

    async fn sweep_tickets(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        count(&self.rows(&SWEEP_TICKETS, &[&before]).await?)
    }
}

fn event_id(row: &Row, column: &'static str) -> Result<EventId, RepositoryError> {
    let id: i64 = row.try_get(column).map_err(failure::from_query)?;
    EventId::new(id).ok_or_else(|| failure::unexpected(column, "a negative event id"))
}

/// An event from a row of [`AFTER`].
fn event_from(row: &Row) -> Result<Event, RepositoryError> {
    let kind: String = row.try_get("kind").map_err(failure::from_query)?;
    let kind: EventKind = kind.parse().map_err(|e| failure::unexpected("kind", e))?;
    let owner: Uuid = row.try_get("user_id").map_err(failure::from_query)?;
    let project_id: Uuid = row.try_get("id").map_err(failure::from_query)?;
    Ok(Event {
        id: event_id(row, "event_id")?,
        owner: owner.into(),
        kind,
        project_id: project_id.into(),
        project: match kind {
            EventKind::Deleted => None,
            EventKind::Created | EventKind::Updated => Some(project_from(row)?),
        },
        at: row.try_get("at").map_err(failure::from_query)?,
    })
}
