//! The command line: `trellis [serve]`, `trellis migrate`,
//! `trellis users promote|demote EMAIL`.

use crate::{Application, config::Config, store::Store, telemetry};
use std::process::ExitCode;
use trellis_domain::{Email, Role};

const USAGE: &str = "\
usage: trellis [COMMAND]

commands:
  serve                   run the API server (the default)
  migrate                 apply pending database migrations and exit
  users promote EMAIL     make the account with EMAIL an admin
  users demote EMAIL      make the account with EMAIL an ordinary user
  help                    print this text
  version                 print the version

Configuration comes from the environment and .env; see the README.";

/// Exit code for a usage or configuration error.
const EXIT_CONFIG: u8 = 2;

/// Runs the command in `args` (without the program name).
#[allow(clippy::print_stdout, reason = "a command line prints its answers")]
pub fn run(args: Vec<String>) -> ExitCode {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = match args.as_slice() {
        [] | ["serve"] => Command::Serve,
        ["migrate"] => Command::Migrate,
        ["users", "promote", email] => Command::SetRole(email.to_string(), Role::Admin),
        ["users", "demote", email] => Command::SetRole(email.to_string(), Role::User),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        ["version" | "--version" | "-V"] => {
            println!("trellis {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("trellis: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(config.log_format, &config.log_filter);
    let outcome = actix_web::rt::System::new().block_on(command.run(config));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            tracing::error!("{message}");
            eprintln!("trellis: {message}");
            ExitCode::from(code)
        }
    }
}

enum Command {
    Serve,
    Migrate,
    SetRole(String, Role),
}

struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn runtime(error: impl std::fmt::Display) -> Self {
        Self {
            message: error.to_string(),
            code: 1,
        }
    }

    fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_CONFIG,
        }
    }
}

impl Command {
    #[allow(clippy::print_stdout, reason = "a command line prints its answers")]
    async fn run(self, config: Config) -> Result<(), Failure> {
        match self {
            Command::Serve => {
                let app = Application::build(config).await.map_err(Failure::runtime)?;
                app.run_until_stopped().await.map_err(Failure::runtime)
            }
            Command::Migrate => {
                let store = database(&config)?;
                let pg = store
                    .as_postgres()
                    .ok_or_else(|| Failure::usage("no database"))?;
                trellis_postgres::migrate(pg)
                    .await
                    .map_err(Failure::runtime)?;
                tracing::info!("migrations applied");
                store.close();
                Ok(())
            }
            Command::SetRole(email, role) => {
                let email = Email::parse(&email)
                    .map_err(|problem| Failure::usage(format!("EMAIL {problem}")))?;
                let store = database(&config)?;
                let user = store
                    .users
                    .find_by_email(&email)
                    .await
                    .map_err(Failure::runtime)?
                    .ok_or_else(|| Failure::runtime(format!("no account with email {email}")))?;
                store
                    .users
                    .set_role(user.id, role)
                    .await
                    .map_err(Failure::runtime)?;
                tracing::info!(user_id = %user.id, role = %role, "role changed");
                println!("{email} is now {role}");
                store.close();
                Ok(())
            }
        }
    }
}

/// The configured PostgreSQL store; operator commands make no sense on the
/// in-memory one.
fn database(config: &Config) -> Result<Store, Failure> {
    let database = config.database.as_ref().ok_or_else(|| {
        Failure::usage("invalid configuration: DATABASE_URL: is required for this command")
    })?;
    Store::postgres(&database.settings, 0).map_err(Failure::runtime)
}
