use super::*;
use secrecy::ExposeSecret;
use trellis_postgres::SslMode;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_source(&vars.iter().copied().collect())
}

#[test]
fn defaults_run_in_memory_in_development() {
    let config = config(&[]).unwrap();
    assert_eq!(config.env, AppEnv::Development);
    assert!(config.database.is_none());
    assert!(config.jwt_secret_generated);
    assert_eq!(config.jwt_secret.expose_secret().len(), 32);
    assert_eq!(config.server.port, 3000);
    assert_eq!(config.bcrypt_cost, 12);
    assert_eq!(config.jwt_lifetime, Duration::from_secs(86_400));
    assert_eq!(config.rate_limit.max, 100);
    assert_eq!(config.rate_limit.auth_max, 10);
    assert_eq!(config.rate_limit.login_failures_max, 10);
    assert_eq!(config.rate_limit.window, Duration::from_secs(900));
    assert_eq!(config.server.body_limit_bytes, 10_240);
    assert_eq!(config.server.shutdown_timeout, Duration::from_secs(10));
    assert_eq!(config.log_format, LogFormat::Pretty);
}

#[test]
fn production_refuses_memory_store_and_weak_secrets() {
    let secret = "s".repeat(32);
    let url = "postgres://db/trellis";
    let err = config(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]).unwrap_err();
    assert_eq!(err.variable, "DATABASE_URL");
    let err = config(&[("APP_ENV", "production"), ("DATABASE_URL", url)]).unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
    let err = config(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", url),
        ("JWT_SECRET", "short"),
    ])
    .unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
    let ok = config(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", url),
        ("JWT_SECRET", &secret),
    ])
    .unwrap();
    assert_eq!(ok.log_format, LogFormat::Json);
}

#[test]
fn each_bad_value_names_its_variable() {
    for (name, value) in [
        ("APP_ENV", "staging"),
        ("PORT", "http"),
        ("PORT", "70000"),
        ("HOST", "example.com"),
        ("BCRYPT_COST", "9"),
        ("BCRYPT_COST", "32"),
        ("JWT_EXPIRES_IN", "forever"),
        ("JWT_EXPIRES_IN", "0"),
        ("LOG_FORMAT", "xml"),
        ("RATE_LIMIT_MAX", "-1"),
        ("RATE_LIMIT_WINDOW_SECS", "0"),
        ("ALLOWED_ORIGINS", "*"),
        ("BODY_LIMIT_BYTES", "0"),
        ("WORKERS", "0"),
    ] {
        let err = config(&[(name, value)]).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
        assert!(
            err.to_string()
                .starts_with(&format!("invalid configuration: {name}: "))
        );
    }
    for (name, value) in [
        ("DB_POOL_MAX", "0"),
        ("DB_CONNECT_TIMEOUT_SECS", "x"),
        ("DB_SSLMODE", "verify"),
        ("DB_SSLMODE", " require"),
        ("RUN_MIGRATIONS", "maybe"),
        ("DB_PREPARED_STATEMENTS", "no"),
    ] {
        let err = config(&[("DATABASE_URL", "postgres://x/y"), (name, value)]).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
    }
}

#[test]
fn old_service_db_variables_build_a_connection_string() {
    let config = config(&[
        ("DB_HOST", "db.internal"),
        ("DB_NAME", "projects"),
        ("DB_USER", "app"),
        ("DB_PASSWORD", "it's secret"),
    ])
    .unwrap();
    let db = config.database.unwrap();
    let shown = format!("{db:?}");
    assert!(
        shown.contains("db.internal") && shown.contains("projects"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
    assert_eq!(db.settings.pool_max, 20);
    assert_eq!(db.settings.connect_timeout, Duration::from_secs(5));
    assert_eq!(db.settings.idle_timeout, Duration::from_secs(30));
    assert_eq!(db.settings.connection.ssl_mode(), None);
    assert!(db.settings.prepared_statements);
}

#[test]
fn prepared_statements_can_be_turned_off_for_pgbouncer() {
    let url = ("DATABASE_URL", "postgres://pgbouncer:6432/trellis");
    let on = config(&[url]).unwrap().database.unwrap();
    assert!(on.settings.prepared_statements);
    let off = config(&[url, ("DB_PREPARED_STATEMENTS", "false")])
        .unwrap()
        .database
        .unwrap();
    assert!(!off.settings.prepared_statements);
    assert!(format!("{off:?}").contains("prepared_statements: false"));
}

#[test]
fn origins_are_listed_and_trimmed() {
    let config = config(&[("ALLOWED_ORIGINS", "https://a.example, https://b.example/ ,")]).unwrap();
    assert_eq!(
        config.server.allowed_origins,
        Some(vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned()
        ])
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let vars = [
        ("JWT_SECRET", "hunter2-hunter2-hunter2-hunter2-x"),
        ("DATABASE_URL", "postgres://app:pw-hunter3@db/trellis"),
        ("REDIS_URL", "redis://:pw-hunter4@cache:6379"),
    ];
    let config = config(&vars).unwrap();
    let shown = format!("{config:?}");
    let source: Source = vars.iter().copied().collect();
    let shown_source = format!("{source:?}");
    for secret in ["hunter2", "hunter3", "hunter4"] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown_source.contains(secret), "{shown_source}");
    }
}

#[test]
fn the_urls_sslmode_is_honoured_and_a_disagreement_stops_the_start() {
    let url = |mode: &str| format!("postgres://db/trellis?sslmode={mode}");
    let in_url = config(&[("DATABASE_URL", &url("require"))]).unwrap();
    assert_eq!(
        in_url.database.unwrap().settings.connection.ssl_mode(),
        Some(SslMode::Require)
    );
    let explicit = config(&[
        ("DATABASE_URL", "postgres://db/trellis"),
        ("DB_SSLMODE", "verify-full"),
    ])
    .unwrap();
    assert_eq!(
        explicit.database.unwrap().settings.connection.ssl_mode(),
        Some(SslMode::VerifyFull)
    );
    let same = config(&[
        ("DATABASE_URL", &url("verify-ca")),
        ("DB_SSLMODE", "verify-ca"),
    ])
    .unwrap();
    assert_eq!(
        same.database.unwrap().settings.connection.ssl_mode(),
        Some(SslMode::VerifyCa)
    );
    let err = config(&[("DATABASE_URL", &url("require")), ("DB_SSLMODE", "disable")]).unwrap_err();
    assert_eq!(err.variable, "DB_SSLMODE");
    assert!(err.problem.contains("sslmode=require"), "{err}");
    let err = config(&[
        ("DATABASE_URL", "postgres://db/t?sslrootcert=/a.pem"),
        ("DB_SSLROOTCERT", "/b.pem"),
    ])
    .unwrap_err();
    assert_eq!(err.variable, "DB_SSLROOTCERT");
    let err = config(&[("DATABASE_URL", &url("sometimes"))]).unwrap_err();
    assert_eq!(err.variable, "DATABASE_URL");
}

#[test]
fn values_are_not_trimmed_behind_the_operators_back() {
    let err = config(&[("JWT_SECRET", "a-secret-of-at-least-32-bytes-long\n")]).unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
    assert!(err.problem.contains("white space"), "{err}");
    let err = config(&[("JWT_SECRET", " a-secret-of-at-least-32-bytes-long")]).unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
    let err = config(&[("PORT", "3000 ")]).unwrap_err();
    assert_eq!(err.variable, "PORT");
}

#[test]
fn every_limit_has_its_own_switch() {
    let config = config(&[
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "3"),
        ("LOGIN_FAILURES_MAX", "5"),
    ])
    .unwrap();
    assert_eq!(config.rate_limit.max, 0);
    assert_eq!(config.rate_limit.auth_max, 3);
    assert_eq!(config.rate_limit.login_failures_max, 5);
}
