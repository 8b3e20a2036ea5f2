//! The repository contract suite: the behaviour every [`UserRepository`] and
//! [`ProjectRepository`] implementation must show. Adapters run it with
//! [`repository_contract!`](crate::repository_contract).

use crate::{ProjectRepository, UserRepository};
use std::sync::Arc;

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
