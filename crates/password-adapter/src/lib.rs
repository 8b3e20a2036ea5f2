//! The production [`PasswordHasher`](trellis_ports::PasswordHasher) of
//! Trellis: [`BcryptHasher`].

mod hasher;

pub use hasher::{BcryptHasher, InvalidCost};
