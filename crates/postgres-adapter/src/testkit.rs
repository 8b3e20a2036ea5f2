//! Throw-away PostgreSQL databases for tests (feature `testkit`).
//!
//! [`TestDatabase::create`] clones a migrated template database, which is
//! built once per set of migrations (its name carries their fingerprint)
//! under an advisory lock, so parallel test processes neither race nor
//! migrate again. Each test database is dropped when its [`TestDatabase`]
//! is, so none leak and tests never see each other's rows.
//!
//! The server is the one `DATABASE_URL` names (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); it must let that role
//! create databases. If it does not answer, the test panics with a line
//! saying how to start one: tests never skip silently.
//!
//! Database names are generated here, never taken from input; they are
//! spliced into `CREATE`/`DROP DATABASE` because identifiers cannot be
//! parameters.

use crate::{ConnectionString, PgSettings, PgStore, migrate};
use std::{
    net::{SocketAddr, ToSocketAddrs},
    time::Duration,
};
use tokio_postgres::{Client, Config, NoTls, config::Host};

/// The listing statement of [`ProjectRepository::page`](trellis_ports::ProjectRepository::page)
/// (`keyset` false) or [`ProjectRepository::page_after`](trellis_ports::ProjectRepository::page_after)
/// for `sort`, with or without a search, exactly as the adapter runs it,
/// for plan tests. Its parameters are listed in the adapter's listing module.
pub fn project_listing_sql(
    sort: trellis_domain::ProjectSort,
    keyset: bool,
    search: bool,
) -> &'static str {
    let kind = if keyset {
        crate::project::Kind::Keyset
    } else {
        crate::project::Kind::Offset
    };
    crate::project::statement(sort, kind, search).text
}

/// The listing statement of [`UserRepository::page`](trellis_ports::UserRepository::page):
/// `$1` limit, `$2` offset.
pub const USER_PAGE_SQL: &str = crate::user::PAGE.text;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Serialises building the template across test processes.
const TEMPLATE_LOCK: i64 = 0x0074_6573_746b_6974;

/// A fresh database on the test server, dropped (forcibly) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    admin: Config,
    url: String,
}

impl TestDatabase {
    /// A new database with the current schema, cloned from the template.
    pub async fn create() -> Self {
        let admin = admin_config();
        let client = connect(&admin).await;
        let template = ensure_template(&client, &admin).await;
        Self::with_clause(client, admin, &format!("TEMPLATE \"{template}\"")).await
    }

    /// A new database without any table, for migration tests.
    pub async fn create_empty() -> Self {
        let admin = admin_config();
        let client = connect(&admin).await;
        Self::with_clause(client, admin, "").await
    }

    async fn with_clause(client: Client, admin: Config, clause: &str) -> Self {
        let name = format!("trellis_test_{}", uuid::Uuid::new_v4().simple());
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\" {clause}"))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e:?}"));
        let url = connection_string(&admin, &name, None);
        Self { name, admin, url }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A libpq `key=value` connection string for this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection string for this database through `via` (a proxy in
    /// front of the server, for fault-injection tests).
    pub fn url_via(&self, via: SocketAddr) -> String {
        connection_string(&self.admin, &self.name, Some(via))
    }

    /// The server's TCP address (the first host `DATABASE_URL` names).
    pub fn server_addr(&self) -> SocketAddr {
        let (host, port) = endpoint(&self.admin);
        (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| panic!("cannot resolve the test server's host {host}"))
    }

    /// The migrations embedded in the binary, by version and name: what a
    /// migrated database records.
    pub fn embedded_migrations() -> Vec<(i32, String)> {
        migrate::embedded()
    }

    /// How many migrations the database records as applied.
    pub async fn applied_migrations(&self) -> usize {
        let count: i64 = self
            .client()
            .await
            .query_one("SELECT count(*) FROM refinery_schema_history", &[])
            .await
            .and_then(|row| row.try_get(0))
            .unwrap_or_else(|e| panic!("reading the migration history: {e:?}"));
        usize::try_from(count).unwrap_or_default()
    }

    /// Test-sized settings for a [`PgStore`] on this database.
    pub fn settings(&self) -> PgSettings {
        PgSettings {
            connection: connection(&self.url),
            pool_max: 4,
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            query_timeout: Duration::from_secs(10),
            slow_query: Duration::from_secs(1),
            prepared_statements: true,
        }
    }

    /// A new store (its own pool) on this database.
    pub fn store(&self) -> PgStore {
        PgStore::connect(self.settings()).unwrap_or_else(|e| panic!("test store: {e}"))
    }

    /// A plain client on this database, outside any pool, for seeding rows
    /// and inspecting plans.
    pub async fn client(&self) -> Client {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        connect(&config).await
    }
}

impl Drop for TestDatabase {
    /// Drops the database, terminating any session still on it. Runs on a
    /// thread of its own with its own runtime, so it works from within an
    /// async test as well as after one.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let (client, connection) = admin.connect(NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&statement).await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop test database {}: {error}", self.name),
            Err(_) => eprintln!(
                "could not drop test database {}: the dropping thread panicked",
                self.name
            ),
        }
    }
}

/// The server's maintenance database, from `DATABASE_URL` or the default.
fn admin_config() -> Config {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let mut config: Config = url
        .parse()
        .unwrap_or_else(|e| panic!("DATABASE_URL is not a valid connection string: {e}"));
    config.connect_timeout(Duration::from_secs(5));
    config
}

/// A connection to `config`'s database, or a panic saying how to start the server.
async fn connect(config: &Config) -> Client {
    match config.connect(NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            client
        }
        Err(error) => {
            let (host, port) = endpoint(config);
            panic!(
                "cannot reach PostgreSQL at {host}:{port} ({error}): start it with \
                 `docker compose up -d postgres`, or start the local cluster \
                 (`pg_ctlcluster 15 main start`), or set DATABASE_URL"
            )
        }
    }
}

/// The migrated template database, built first if no process has yet.
async fn ensure_template(client: &Client, admin: &Config) -> String {
    let template = format!("trellis_template_{:016x}", migrate::fingerprint());
    client
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
        .await
        .unwrap_or_else(|e| panic!("template lock: {e:?}"));
    let exists: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&template],
        )
        .await
        .and_then(|row| row.try_get(0))
        .unwrap_or_else(|e| panic!("looking for the template: {e:?}"));
    if !exists {
        build_template(client, admin, &template).await;
    }
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
        .await
        .unwrap_or_else(|e| panic!("template unlock: {e:?}"));
    template
}

/// Migrates a scratch database and renames it `template` only once it is
/// complete, so that a test run killed half-way leaves no broken template.
async fn build_template(client: &Client, admin: &Config, template: &str) {
    let scratch = format!("{template}_building");
    let run = |sql: String| async move {
        client
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    };
    run(format!(
        "DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)"
    ))
    .await;
    run(format!("CREATE DATABASE \"{scratch}\"")).await;
    let store = PgStore::connect(PgSettings {
        connection: connection(&connection_string(admin, &scratch, None)),
        pool_max: 1,
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(30),
        query_timeout: Duration::from_secs(60),
        slow_query: Duration::from_secs(10),
        prepared_statements: true,
    })
    .unwrap_or_else(|e| panic!("template store: {e}"));
    migrate(&store)
        .await
        .unwrap_or_else(|e| panic!("migrating the template: {e}"));
    store.close();
    // The migration's session is closing; renaming waits for it to be gone.
    let rename = format!("ALTER DATABASE \"{scratch}\" RENAME TO \"{template}\"");
    let mut attempts = 0;
    while let Err(error) = client.batch_execute(&rename).await {
        attempts += 1;
        assert!(attempts < 100, "{rename}: {error:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run(format!(
        "ALTER DATABASE \"{template}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
    ))
    .await;
}

/// A `key=value` connection string for database `name` on `admin`'s
/// server, or on `via` instead.
fn connection_string(admin: &Config, name: &str, via: Option<SocketAddr>) -> String {
    let mut parts = Vec::new();
    if let Some(via) = via {
        parts.push(format!("host={} port={}", via.ip(), via.port()));
    }
    let hosts: Vec<String> = admin
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() && via.is_none() {
        parts.push(format!("host={}", quote(&hosts.join(","))));
    }
    let ports: Vec<String> = admin.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() && via.is_none() {
        parts.push(format!("port={}", ports.join(",")));
    }
    if let Some(user) = admin.get_user() {
        parts.push(format!("user={}", quote(user)));
    }
    if let Some(password) = admin.get_password() {
        parts.push(format!(
            "password={}",
            quote(&String::from_utf8_lossy(password))
        ));
    }
    parts.push(format!("dbname={}", quote(name)));
    parts.join(" ")
}

/// A libpq `key=value` value, quoted.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The first host and port `config` names (a Unix socket directory as its path).
fn endpoint(config: &Config) -> (String, u16) {
    let host = config.get_hosts().first().map_or_else(
        || "localhost".to_owned(),
        |host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        },
    );
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// A test server's URL, parsed.
fn connection(url: &str) -> ConnectionString {
    url.parse()
        .unwrap_or_else(|e| panic!("a test database URL: {e}"))
}
