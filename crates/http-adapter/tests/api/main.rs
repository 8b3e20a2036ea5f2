//! The whole HTTP contract, over the real services and the in-memory store:
//! every status, error string, details entry and header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod bodies;
mod health;
mod helpers;
mod openapi;
mod projects;
mod routing;
mod tokens;
mod users;
