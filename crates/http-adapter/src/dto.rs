//! The shapes of request and response bodies, and their conversion to and
//! from domain values. Handlers only translate; the rules live in the domain.

mod account;
mod page;
mod project;
mod role;
mod timestamp;

pub use account::{Credentials, Session, UserEnvelope, UserView};
pub use page::PageView;
pub use project::{ProjectEnvelope, ProjectView};
pub use role::RoleChange;
