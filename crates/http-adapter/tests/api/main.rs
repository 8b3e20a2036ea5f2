//! The whole HTTP contract, over the real app, services and the in-memory
//! store (and a real Redis for the shared limits): every status, error
//! string, details entry and header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod attachments;
mod bodies;
mod conditional;
mod events;
mod hardening;
mod health;
mod helpers;
mod idempotency;
mod lists;
mod logs;
mod openapi;
mod projects;
mod routing;
mod sessions;
mod tokens;
mod users;
