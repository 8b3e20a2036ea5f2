//! The shapes of request and response bodies, and their conversion to and
//! from domain values. Handlers only translate; the rules live in the domain.

mod account;
mod attachment;
mod event;
mod listing;
mod page;
mod project;
mod role;
mod session;
mod timestamp;

pub use account::{Credentials, ProfileUpdateBody, UserEnvelope, UserView};
pub use attachment::{AttachmentEnvelope, AttachmentList, AttachmentView};
pub use event::{EventView, RESYNC, TicketView};
pub use listing::ProjectPage;
pub use page::{PageView, UserPage};
pub(crate) use project::status_schema;
pub use project::{NewProjectBody, ProjectEnvelope, ProjectUpdateBody, ProjectView};
pub use role::RoleChange;
pub use session::{PasswordChange, RefreshBody, SessionList, SessionView, SignedIn, TokenPair};
