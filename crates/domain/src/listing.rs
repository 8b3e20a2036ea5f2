//! What a listing of projects shows and in which order: [`ProjectSort`],
//! [`ProjectFilter`] (a [`StatusSet`] and an optional [`SearchQuery`]),
//! and the [`Position`] a keyset page continues after.
//!
//! The in-memory adapter orders and filters with these types directly; the
//! PostgreSQL adapter mirrors the same rules in SQL (the contract suite
//! holds both to them).

mod filter;
mod sort;

pub use filter::{ProjectFilter, SearchQuery, StatusSet};
pub use sort::{Direction, Position, ProjectSort, SortKey, SortValue};
