//! The HTTP face of Trellis, on actix-web.

pub mod error;
pub mod hardening;
pub mod request_id;

pub use error::ApiError;
pub use request_id::{RequestId, RequestIdentity};
