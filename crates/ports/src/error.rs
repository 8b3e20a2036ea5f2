//! What can go wrong in storage, as the core needs to tell it apart.

/// Any error, boxed, for causes the core does not act on but must log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Failures of a repository. Adapters map their driver's errors onto these
/// in one place, so that the rest of the system never sees SQL states.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// Another account already uses this e-mail address (in any letter case).
    #[error("email already registered")]
    EmailTaken,
    /// Some other uniqueness rule was broken.
    #[error("unique constraint `{constraint}` violated")]
    Conflict {
        /// The name of the rule (the database constraint).
        constraint: String,
    },
    /// A row refers to one that does not exist (e.g. a project's owner).
    #[error("referenced row missing (`{constraint}`)")]
    ReferenceMissing {
        /// The name of the rule (the database constraint).
        constraint: String,
    },
    /// Storage cannot be reached now (pool exhausted, connection refused or
    /// lost, timeout). Worth retrying later.
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else.
    #[error("storage failure")]
    Internal(#[source] BoxError),
}
