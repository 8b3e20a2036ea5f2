//! How long one bcrypt hash takes on one core: the ceiling of login
//! throughput is `cores ÷ this`.
//!
//! ```sh
//! cargo run --release -p trellis-password --example bcrypt_cost -- [COST] [HASHES]
//! ```
//!
//! Hashes `HASHES` (default 5) times at `COST` (default 12) on this thread,
//! after one untimed warm-up hash, and prints one line:
//! `bcrypt cost=12 hashes=5 ms_per_hash=<median> min_ms=<fastest>`.

use std::{
    env,
    io::{self, Write},
    process::ExitCode,
    time::Instant,
};

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let (Some(cost), Some(hashes)) = (
        parsed(args.next(), 12, "COST"),
        parsed(args.next(), 5, "HASHES"),
    ) else {
        return ExitCode::from(2);
    };
    if hashes == 0 {
        eprintln!("HASHES must be at least 1");
        return ExitCode::from(2);
    }
    let password = "correct horse battery staple";
    if let Err(error) = bcrypt::hash(password, cost) {
        eprintln!("bcrypt cost {cost}: {error}");
        return ExitCode::from(2);
    }
    let mut millis: Vec<f64> = Vec::new();
    for _ in 0..hashes {
        let started = Instant::now();
        if let Err(error) = bcrypt::hash(password, cost) {
            eprintln!("bcrypt: {error}");
            return ExitCode::FAILURE;
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let median = millis[millis.len() / 2];
    let line = format!(
        "bcrypt cost={cost} hashes={hashes} ms_per_hash={median:.1} min_ms={:.1}",
        millis[0]
    );
    match writeln!(io::stdout().lock(), "{line}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// The number in `arg`, `default` when absent; `None` (after saying why) when
/// it is not a number.
fn parsed(arg: Option<String>, default: u32, name: &str) -> Option<u32> {
    match arg {
        None => Some(default),
        Some(text) => text.parse().ok().or_else(|| {
            eprintln!("{name} must be a whole number, got {text:?}");
            None
        }),
    }
}
