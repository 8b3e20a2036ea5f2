//! The `trellis` binary's library half: configuration, telemetry, wiring
//! and the command line. `main` and the end-to-end tests start the app the
//! same way, through [`Application::build`].

pub mod cli;
pub mod config;
mod drain;
mod shutdown;
mod startup;
mod store;
pub mod telemetry;
mod workers;

pub use startup::{Application, StartError};
