//! `trellis`: the Trellis API server and its operator commands.

use std::process::ExitCode;
use trellis_server::cli;

fn main() -> ExitCode {
    cli::run(std::env::args().skip(1).collect())
}
