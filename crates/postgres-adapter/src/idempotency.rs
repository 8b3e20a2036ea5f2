//! Idempotency keys of creates, in `idempotency_keys` (migration V5).

use crate::{
    PgStore, failure,
    project::{NewRow, project_from},
    session::count,
    store::Sql,
};
use async_trait::async_trait;
use tokio_postgres::types::{ToSql, Type};
use trellis_domain::{IdempotencyKey, NewProject, Project, RequestFingerprint, Timestamp, UserId};
use trellis_ports::{
    CLAIM_LEASE, Claim, ClaimToken, IdempotencyKeys, KEY_RETENTION, RepositoryError,
};
use uuid::Uuid;

// Takes a free key, or one expired (`$6`) or abandoned (`$7`): no row comes
// back when the key is held. Two claims of one key serialise on its unique
// index; the second re-checks the winner's row.
const CLAIM: Sql = Sql {
    text: "\
INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, claim, claimed_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim, claimed_at = EXCLUDED.claimed_at,
    project_id = NULL, name = NULL, description = NULL, status = NULL, budget = NULL,
    deadline = NULL, created_at = NULL, updated_at = NULL
WHERE k.claimed_at < $6 OR (k.project_id IS NULL AND k.claimed_at < $7)
RETURNING claim",
    types: &[
        Type::UUID,
        Type::TEXT,
        Type::BYTEA,
        Type::UUID,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
    ],
};

// The holder of a key: its fingerprint, and its answer once there is one.
const HELD: Sql = Sql {
    text: "\
SELECT fingerprint, project_id AS id, user_id, name, description, status,
       (budget * 100)::int8 AS budget_cents, deadline, created_at, updated_at
FROM idempotency_keys WHERE user_id = $1 AND key = $2",
    types: &[Type::UUID, Type::TEXT],
};

// The project and the key's answer in one statement, only while the claim
// is `$9`'s: a claim taken over creates nothing. The answer is the row as
// inserted (both stamped with the statement's now()).
const CREATE_CLAIMED: Sql = Sql {
    text: "\
WITH answer AS (
    UPDATE idempotency_keys
    SET project_id = $1, name = $3, description = $4, status = $5,
        budget = $6::int8::numeric / 100, deadline = $7, created_at = now(), updated_at = now()
    WHERE user_id = $2 AND key = $8 AND claim = $9 AND project_id IS NULL
    RETURNING 1
)
INSERT INTO projects (id, user_id, name, description, status, budget, deadline, created_at,
                      updated_at)
SELECT $1, $2, $3, $4, $5, $6::int8::numeric / 100, $7, now(), now() FROM answer
RETURNING id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
          deadline, created_at, updated_at",
    types: &[
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::DATE,
        Type::TEXT,
        Type::UUID,
    ],
};

const RELEASE: Sql = Sql {
    text: "\
DELETE FROM idempotency_keys
WHERE user_id = $1 AND key = $2 AND claim = $3 AND project_id IS NULL",
    types: &[Type::UUID, Type::TEXT, Type::UUID],
};

const SWEEP: Sql = Sql {
    text: "\
WITH swept AS (DELETE FROM idempotency_keys WHERE claimed_at < $1 RETURNING 1)
SELECT count(*) FROM swept",
    types: &[Type::TIMESTAMPTZ],
};

/// Claims raced by a release or a sweep in between are tried again this
/// many times before the key is reported as held.
const CLAIM_ATTEMPTS: usize = 3;

#[async_trait]
impl IdempotencyKeys for PgStore {
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, RepositoryError> {
        let token = ClaimToken::random();
        let (expired, abandoned) = (now - KEY_RETENTION, now - CLAIM_LEASE);
        let owner = owner.as_uuid();
        for _ in 0..CLAIM_ATTEMPTS {
            let fingerprint = &fingerprint.as_bytes()[..];
            let claimed = self
                .rows(
                    &CLAIM,
                    &[
                        &owner,
                        &key.as_str(),
                        &fingerprint,
                        &token.0,
                        &now,
                        &expired,
                        &abandoned,
                    ],
                )
                .await?;
            if !claimed.is_empty() {
                return Ok(Claim::Claimed(token));
            }
            let held = self.rows(&HELD, &[&owner, &key.as_str()]).await?;
            let Some(row) = held.first() else {
                continue; // released or swept since: claim again
            };
            let held_for: Vec<u8> = row.try_get("fingerprint").map_err(failure::from_query)?;
            if held_for != fingerprint {
                return Ok(Claim::Mismatch);
            }
            let answered: Option<Uuid> = row.try_get("id").map_err(failure::from_query)?;
            return Ok(match answered {
                Some(_) => Claim::Answered(project_from(row)?),
                None => Claim::Running,
            });
        }
        Ok(Claim::Running)
    }

    async fn create_claimed(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
        project: NewProject,
    ) -> Result<Option<Project>, RepositoryError> {
        let row = NewRow::of(owner, &project);
        let key = key.as_str();
        let params: Vec<&(dyn ToSql + Sync)> = row
            .params()
            .into_iter()
            .chain([&key as _, &token.0 as _])
            .collect();
        let _writing = self.writing(owner);
        let rows = self.rows(&CREATE_CLAIMED, &params).await?;
        rows.first().map(project_from).transpose()
    }

    async fn release(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
    ) -> Result<(), RepositoryError> {
        self.rows(&RELEASE, &[&owner.as_uuid(), &key.as_str(), &token.0])
            .await
            .map(drop)
    }

    async fn sweep_keys(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let rows = self.rows(&SWEEP, &[&before]).await?;
        count(&rows)
    }
}
