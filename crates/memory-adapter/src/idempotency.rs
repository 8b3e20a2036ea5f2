//! Idempotency keys of creates, with PostgreSQL's semantics: a claim is a
//! marker until the create that holds it fills in the answer.

use crate::store::InMemoryStore;
use async_trait::async_trait;
use std::collections::HashMap;
use trellis_domain::{IdempotencyKey, NewProject, Project, RequestFingerprint, Timestamp, UserId};
use trellis_ports::{
    CLAIM_LEASE, Claim, ClaimToken, IdempotencyKeys, KEY_RETENTION, RepositoryError,
};

#[derive(Debug, Default)]
pub(crate) struct Keys(HashMap<(UserId, IdempotencyKey), Held>);

#[derive(Debug)]
struct Held {
    fingerprint: RequestFingerprint,
    claim: ClaimToken,
    claimed_at: Timestamp,
    answer: Option<Project>,
}

impl Keys {
    /// Drops every key of `owner` (the cascade of deleting an account).
    pub(crate) fn remove_owner(&mut self, owner: UserId) {
        self.0.retain(|(held_by, _), _| *held_by != owner);
    }

    fn held_by(
        &mut self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
    ) -> Option<&mut Held> {
        self.0
            .get_mut(&(owner, key.clone()))
            .filter(|held| held.claim == token && held.answer.is_none())
    }
}

#[async_trait]
impl IdempotencyKeys for InMemoryStore {
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, RepositoryError> {
        let mut state = self.write();
        if !state.users.contains(owner) {
            return Err(RepositoryError::ReferenceMissing {
                constraint: "idempotency_keys_user_id_fkey".into(),
            });
        }
        let token = ClaimToken::random();
        let claimed = || Held {
            fingerprint,
            claim: token,
            claimed_at: now,
            answer: None,
        };
        let held = state
            .keys
            .0
            .entry((owner, key.clone()))
            .or_insert_with(claimed);
        if held.claim == token {
            return Ok(Claim::Claimed(token));
        }
        let expired = held.claimed_at < now - KEY_RETENTION;
        let abandoned = held.answer.is_none() && held.claimed_at < now - CLAIM_LEASE;
        Ok(if expired || abandoned {
            *held = claimed();
            Claim::Claimed(token)
        } else if held.fingerprint != fingerprint {
            Claim::Mismatch
        } else {
            held.answer.clone().map_or(Claim::Running, Claim::Answered)
        })
    }

    async fn create_claimed(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
        project: NewProject,
    ) -> Result<Option<Project>, RepositoryError> {
        let mut state = self.write();
        if state.keys.held_by(owner, key, token).is_none() {
            return Ok(None);
        }
        let created = self.insert_project(&mut state, owner, project)?;
        if let Some(held) = state.keys.held_by(owner, key, token) {
            held.answer = Some(created.clone());
        }
        Ok(Some(created))
    }

    async fn release(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        token: ClaimToken,
    ) -> Result<(), RepositoryError> {
        let mut state = self.write();
        if state.keys.held_by(owner, key, token).is_some() {
            state.keys.0.remove(&(owner, key.clone()));
        }
        Ok(())
    }

    async fn sweep_keys(&self, before: Timestamp) -> Result<u64, RepositoryError> {
        let mut state = self.write();
        let keys = &mut state.keys.0;
        let kept = keys.len();
        keys.retain(|_, held| held.claimed_at >= before);
        Ok((kept - keys.len()) as u64)
    }
}
