//! The use cases of Trellis, as the inbound adapters call them. They know
//! nothing of HTTP or tokens: the caller is an [`Actor`] the adapter has
//! already authenticated.

use crate::{BoxError, Grant, HashError, ProjectList, ProjectListing, RepositoryError};
use async_trait::async_trait;
use std::time::Duration;
use trellis_domain::{
    ClientInfo, Draft, Email, FullName, IdempotencyKey, Page, PageRequest, Password, Precondition,
    ProfilePatch, Project, ProjectId, ProjectPatch, Role, SessionId, User, UserId, Violation,
};

/// Who is calling, as established by authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The caller's account.
    pub id: UserId,
    /// The role the caller's credentials claim. Services that grant powers
    /// re-check it against storage.
    pub role: Role,
    /// The session the credentials belong to (`None` for a token issued
    /// before sessions existed).
    pub session: Option<SessionId>,
}

/// What was not found, so that clients get the right message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// An account.
    User,
    /// A project.
    Project,
    /// A session.
    Session,
    /// A file attached to a project.
    Attachment,
}

/// Why a use case failed. Each variant is a business outcome an inbound
/// adapter maps to one answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input broke these rules (every one of them is listed).
    #[error("validation failed")]
    Validation(Vec<Violation>),
    /// The e-mail belongs to another account.
    #[error("email already registered")]
    EmailTaken,
    /// Unknown e-mail or wrong password; deliberately not told apart.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A refresh token that is unknown, expired, of an ended session, or
    /// spent (and so presumed stolen).
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// It does not exist, or is not the caller's to see.
    #[error("{0:?} not found")]
    NotFound(Resource),
    /// The caller's role does not allow this.
    #[error("insufficient permissions")]
    Forbidden,
    /// Another uniqueness rule was broken.
    #[error("resource already exists")]
    Conflict,
    /// The input refers to something that does not exist.
    #[error("referenced resource not found")]
    ReferenceMissing,
    /// Too many failed logins for this account in the current window,
    /// whoever sent them; retry after this long.
    #[error("too many failed logins")]
    TooManyAttempts {
        /// Until the window ends.
        retry_after: Duration,
    },
    /// A conditional write found the resource at another version than the
    /// ones expected (`If-Match`); nothing changed.
    #[error("precondition failed")]
    PreconditionFailed,
    /// An idempotency key sent again with another request.
    #[error("idempotency key reused with a different body")]
    KeyReused,
    /// The first request with this idempotency key is still running.
    #[error("request in progress")]
    KeyInUse,
    /// The caller has as many event streams open as it may.
    #[error("too many streams")]
    TooManyStreams,
    /// A stream ticket that is unknown, spent or expired.
    #[error("invalid ticket")]
    InvalidTicket,
    /// An upload passed the size limit; nothing was kept.
    #[error("payload too large")]
    TooLarge,
    /// An upload's bytes are of a type not allowed; nothing was kept.
    #[error("unsupported content type")]
    UnsupportedType,
    /// The project has as many attachments as allowed.
    #[error("too many attachments")]
    TooManyAttachments,
    /// An upload's body failed with this error of the inbound adapter's
    /// own (the client went away, or sent a malformed body).
    #[error("the upload's body failed")]
    Upload(#[source] BoxError),
    /// A dependency is down or saturated; retry later.
    #[error("service unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected failure; the cause is for the logs only.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl From<RepositoryError> for ServiceError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::EmailTaken => Self::EmailTaken,
            RepositoryError::Conflict { .. } => Self::Conflict,
            RepositoryError::ReferenceMissing { .. } => Self::ReferenceMissing,
            RepositoryError::Unavailable(cause) => Self::Unavailable(cause),
            RepositoryError::Internal(cause) => Self::Internal(cause),
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Unavailable(Box::new(error)),
            HashError::Failed(_) => Self::Internal(Box::new(error)),
        }
    }
}

/// A new account as a person signs up for it.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The login.
    pub email: Email,
    /// The chosen password, in the clear until hashed.
    pub password: Password,
    /// The person's name.
    pub full_name: FullName,
}

/// Signing up, logging in, and one's own profile.
#[async_trait]
pub trait AccountService: Send + Sync + 'static {
    /// Creates an ordinary account and opens its first session.
    /// [`ServiceError::EmailTaken`] if the e-mail is in use in any letter
    /// case.
    async fn register(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError>;

    /// Opens a session of the account these credentials open, or
    /// [`ServiceError::InvalidCredentials`] (in the same time whether the
    /// e-mail is unknown or the password wrong). After too many failures
    /// for one e-mail in a window, [`ServiceError::TooManyAttempts`] until
    /// the window ends, whoever asks.
    async fn login(
        &self,
        email: Email,
        password: Password,
        client: ClientInfo,
    ) -> Result<Grant, ServiceError>;

    /// The caller's account; [`ServiceError::NotFound`] if it was deleted.
    async fn me(&self, actor: &Actor) -> Result<User, ServiceError>;

    /// Changes the caller's name or e-mail. [`ServiceError::Validation`]
    /// with every violation of the draft's fields and of the rule that an
    /// update changes something; [`ServiceError::EmailTaken`] if the new
    /// e-mail is someone else's.
    async fn update_me(
        &self,
        actor: &Actor,
        draft: Draft<ProfilePatch>,
    ) -> Result<User, ServiceError>;
}

/// What an idempotent create answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The project, as the request that created it answered it.
    pub project: Project,
    /// Whether an earlier request with the same key created it.
    pub replayed: bool,
}

/// A user's own projects. Another user's project is
/// [`ServiceError::NotFound`], whatever the caller's role.
#[async_trait]
pub trait ProjectService: Send + Sync + 'static {
    /// A page of the caller's projects, sorted and filtered as asked.
    /// [`ServiceError::Validation`] for a cursor the server did not make
    /// (`cursor: is invalid`) or one made with another sort or filter.
    async fn list(
        &self,
        actor: &Actor,
        listing: ProjectListing,
    ) -> Result<ProjectList, ServiceError>;

    /// Creates a project owned by the caller from the fields of `draft`
    /// (`name` required). [`ServiceError::Validation`] with every violation:
    /// the draft's own, and the rules it is finished against (a deadline
    /// after today).
    async fn create(
        &self,
        actor: &Actor,
        draft: Draft<ProjectPatch>,
    ) -> Result<Project, ServiceError>;

    /// [`Self::create`] under an idempotency `key`: the first request with
    /// the key creates; one with the same key and the same fields, by the
    /// same caller, within a day, creates nothing and answers the project as
    /// the first created it ([`Created::replayed`]).
    /// [`ServiceError::KeyReused`] for the same key with other fields,
    /// [`ServiceError::KeyInUse`] while the first is still running.
    async fn create_once(
        &self,
        actor: &Actor,
        draft: Draft<ProjectPatch>,
        key: IdempotencyKey,
    ) -> Result<Created, ServiceError>;

    /// One of the caller's projects.
    async fn get(&self, actor: &Actor, id: ProjectId) -> Result<Project, ServiceError>;

    /// Applies a partial update. [`ServiceError::Validation`] with every
    /// violation: the draft's own, a deadline not after today, an update
    /// that changes nothing. [`ServiceError::PreconditionFailed`] if the
    /// project is not at a version `precondition` accepts (decided
    /// atomically with the write).
    async fn update(
        &self,
        actor: &Actor,
        id: ProjectId,
        draft: Draft<ProjectPatch>,
        precondition: &Precondition,
    ) -> Result<Project, ServiceError>;

    /// Deletes one of the caller's projects, under `precondition` as
    /// [`Self::update`].
    async fn delete(
        &self,
        actor: &Actor,
        id: ProjectId,
        precondition: &Precondition,
    ) -> Result<(), ServiceError>;
}

/// Managing accounts. Every method answers [`ServiceError::Forbidden`]
/// unless the caller is an admin *now* (checked against storage, so a
/// demoted admin's older token grants nothing).
#[async_trait]
pub trait AdminService: Send + Sync + 'static {
    /// A page of all accounts.
    async fn list_users(
        &self,
        actor: &Actor,
        request: PageRequest,
    ) -> Result<Page<User>, ServiceError>;

    /// One account.
    async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User, ServiceError>;

    /// Changes an account's role.
    async fn set_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<User, ServiceError>;
}
