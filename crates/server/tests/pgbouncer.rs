//! Trellis behind PgBouncer in transaction mode, the way it scales out: the
//! pooler hands each transaction whichever server connection is free.
//!
//! PgBouncer here is Debian's 1.18, which cannot carry named prepared
//! statements in transaction mode (1.21 can, with `max_prepared_statements`).
//! With `DB_PREPARED_STATEMENTS=false` the whole API works through it; with
//! the default, statements prepared on one server connection are executed on
//! another and fail. Both are shown here.
//!
//! `pgbouncer` must be installed (`.ci/run` installs it): without it these
//! tests fail, they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use awc::http::{Method, StatusCode};
use futures_util::future::join_all;
use serde_json::json;
use std::{
    fs,
    net::{SocketAddr, TcpStream},
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::{TestApp, free_port};
use trellis_postgres::testkit::TestDatabase;

/// Server connections PgBouncer opens per database: fewer than Trellis's
/// pool, so Trellis's connections share them as they would in production.
const SERVER_POOL: usize = 2;
/// Trellis's own pool (`DB_POOL_MAX`), each a client of PgBouncer.
const TRELLIS_POOL: &str = "8";

/// A PgBouncer child process in front of one test database; stopped, and
/// its directory removed, on drop.
struct PgBouncer {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl PgBouncer {
    /// Starts PgBouncer in transaction mode for `database`, on a free port,
    /// and waits until it accepts connections.
    fn start(database: &TestDatabase) -> Self {
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
            .unwrap_or_else(|| {
                panic!(
                    "pgbouncer is not installed (looked in /usr/sbin and /usr/bin): \
                     `apt-get install -y pgbouncer`, as .ci/run does"
                )
            });
        let dir = std::env::temp_dir().join(format!("trellis-pgbouncer-{}", uuid::Uuid::new_v4()));
        fs::create_dir(&dir).unwrap();
        // PgBouncer refuses to run as root; as root it is started as the
        // `postgres` user, who must be able to read its files.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let upstream = database.server_addr();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let users = dir.join("userlist.txt");
        write_readable(&users, "\"postgres\" \"\"\n");
        let ini = dir.join("pgbouncer.ini");
        write_readable(
            &ini,
            &format!(
                "[databases]\n\
                 {name} = host={host} port={port} dbname={name}\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {listen}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {users}\n\
                 pool_mode = transaction\n\
                 default_pool_size = {SERVER_POOL}\n\
                 max_client_conn = 200\n\
                 ignore_startup_parameters = options\n",
                name = database.name(),
                host = upstream.ip(),
                port = upstream.port(),
                listen = addr.port(),
                users = users.display(),
            ),
        );
        let log = fs::File::create(dir.join("pgbouncer.log")).unwrap();
        let mut command = Command::new(binary);
        if fs::metadata("/proc/self").unwrap().uid() == 0 {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&ini)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("pgbouncer starts");
        let mut bouncer = Self { child, addr, dir };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = bouncer.child.try_wait().unwrap() {
                panic!("pgbouncer exited ({status}):\n{}", bouncer.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "pgbouncer not listening after 5 s:\n{}",
                bouncer.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        bouncer
    }

    /// What PgBouncer has logged so far.
    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn write_readable(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
}

/// Trellis on `database` through `bouncer`. Migrations are not run through
/// the pooler (their session-level advisory lock needs one session): the
/// test database is cloned from a migrated template. The `LISTEN`
/// connection goes straight to PostgreSQL, as the README tells operators:
/// a transaction-pooled connection cannot keep a `LISTEN`.
async fn trellis_via(
    bouncer: &PgBouncer,
    database: TestDatabase,
    prepared_statements: bool,
) -> TestApp {
    let url = database.url_via(bouncer.addr);
    let direct = database.url().to_owned();
    another_via(&url, &direct, prepared_statements, Some(database)).await
}

/// Trellis on the pooled `url`, listening on `direct`; `database`, when
/// given, is dropped with it.
async fn another_via(
    url: &str,
    direct: &str,
    prepared_statements: bool,
    database: Option<TestDatabase>,
) -> TestApp {
    let prepared = prepared_statements.to_string();
    let settings = [
        ("DATABASE_URL", url),
        ("DATABASE_LISTEN_URL", direct),
        ("DB_PREPARED_STATEMENTS", prepared.as_str()),
        ("DB_POOL_MAX", TRELLIS_POOL),
        ("RUN_MIGRATIONS", "false"),
    ];
    TestApp::start(&settings, database).await
}

#[actix_web::test]
async fn the_quick_start_walk_and_a_burst_through_transaction_pooling() {
    let database = TestDatabase::create().await;
    let bouncer = PgBouncer::start(&database);
    let (url, direct) = (database.url_via(bouncer.addr), database.url().to_owned());
    let app = trellis_via(&bouncer, database, false).await;
    let other = another_via(&url, &direct, false, None).await;

    let token = support::walk_the_quick_start(&app).await;

    // 32 at once: Trellis's 8 connections share PgBouncer's 2.
    let burst = (0..32).map(|n| {
        let (app, token) = (&app, &token);
        async move {
            if n % 2 == 0 {
                app.call(
                    Method::POST,
                    "/api/projects",
                    Some(token),
                    Some(json!({"name": format!("burst {n}"), "budget": n + 1})),
                )
                .await
            } else {
                app.get("/api/projects?limit=5", Some(token)).await
            }
        }
    });
    let answers = join_all(burst).await;
    let failed: Vec<_> = answers
        .iter()
        .filter(|answer| !answer.status.is_success())
        .collect();
    assert!(failed.is_empty(), "{failed:?}\n{}", bouncer.log());
    let list = app.get("/api/projects?limit=1", Some(&token)).await;
    assert_eq!(list.body["total"], 16, "{list:?}");

    // A logout through the pooler: refused at once where it was answered,
    // and heard by the other instance on its direct LISTEN connection.
    assert_eq!(other.get("/api/me", Some(&token)).await.status, 200);
    let logout = app
        .call(Method::POST, "/api/logout", Some(&token), None)
        .await;
    assert_eq!(logout.status, 204, "{logout:?}");
    let here = app.get("/api/me", Some(&token)).await;
    assert_eq!(here.error(), "Token revoked", "{here:?}");
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let there = other.get("/api/me", Some(&token)).await;
        if there.status == 401 {
            assert_eq!(there.error(), "Token revoked", "{there:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still served: {there:?}");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    other.stop().await;
    app.stop().await;
}

/// Proves the setting is needed: with prepared statements on, a statement
/// prepared on one server connection is later run on another, where
/// PostgreSQL does not know it (SQLSTATE 26000, `prepared statement "s7"
/// does not exist`), and the request fails with a 500. Which requests fail
/// depends on how PgBouncer pairs connections; bursts are repeated until
/// one does.
#[actix_web::test]
async fn named_prepared_statements_break_under_transaction_pooling() {
    let database = TestDatabase::create().await;
    let bouncer = PgBouncer::start(&database);
    let app = trellis_via(&bouncer, database, true).await;
    let mut token = None;
    for attempt in 0..10 {
        let answer = app
            .call(
                Method::POST,
                "/api/register",
                None,
                Some(json!({
                    "email": format!("ada{attempt}@example.com"),
                    "password": "correct horse",
                    "full_name": "Ada",
                })),
            )
            .await;
        if answer.status == StatusCode::CREATED {
            token = answer.body["token"].as_str().map(str::to_owned);
            break;
        }
    }
    let token = token.expect("one of ten registrations succeeds");
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let burst = (0..32).map(|n| {
            let (app, token) = (&app, &token);
            async move {
                let path = if n % 2 == 0 {
                    "/api/me"
                } else {
                    "/api/projects"
                };
                app.get(path, Some(token)).await.status
            }
        });
        statuses.extend(join_all(burst).await);
        if statuses.contains(&StatusCode::INTERNAL_SERVER_ERROR) {
            break;
        }
    }
    let failed = statuses
        .iter()
        .filter(|status| **status == StatusCode::INTERNAL_SERVER_ERROR)
        .count();
    eprintln!(
        "prepared statements through PgBouncer in transaction mode: {failed} of {} reads answered 500",
        statuses.len()
    );
    assert!(
        failed > 0,
        "every read succeeded: PgBouncer kept each prepared statement on its server connection"
    );
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::OK || *status == StatusCode::INTERNAL_SERVER_ERROR),
        "{statuses:?}"
    );
    app.stop().await;
}
