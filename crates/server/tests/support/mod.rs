//! Shared harness of the end-to-end tests: the real application on a free
//! loopback port, on the in-memory store or on a fresh PostgreSQL database,
//! driven by an HTTP client.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

pub mod binary;
pub mod proxy;
pub mod raw;
pub mod streams;

use awc::http::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::{net::TcpListener, time::Duration};
use trellis_postgres::testkit::TestDatabase;
use trellis_server::{Application, config::Config};

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running trellis and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    handle: actix_web::dev::ServerHandle,
    /// The database, when running on PostgreSQL; dropped (and deleted) last.
    pub database: Option<TestDatabase>,
}

/// One answer: status, headers and the JSON body (`Value::Null` if empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `error` string of an error body.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// Settings every test app shares: loopback, a free port, no rate limits,
/// the cheapest bcrypt the configuration allows.
fn base_settings() -> Vec<(String, String)> {
    [
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("WORKERS", "2"),
        ("BCRYPT_COST", "10"),
        ("RATE_LIMIT_MAX", "0"),
        ("AUTH_RATE_LIMIT_MAX", "0"),
        ("LOGIN_FAILURES_MAX", "0"),
        ("JWT_SECRET", "end-to-end-tests-secret-of-32-bytes!!"),
        ("SHUTDOWN_TIMEOUT_SECS", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl TestApp {
    /// On the in-memory store.
    pub async fn memory() -> Self {
        Self::start(&[], None).await
    }

    /// On a fresh, migrated PostgreSQL database.
    pub async fn postgres() -> Self {
        Self::postgres_with(&[]).await
    }

    /// On a fresh PostgreSQL database, with extra settings.
    pub async fn postgres_with(settings: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create().await;
        let url = database.url().to_owned();
        let settings = [&[("DATABASE_URL", url.as_str())], settings].concat();
        Self::start(&settings, Some(database)).await
    }

    /// On a fresh PostgreSQL database reached through a fault-injecting
    /// proxy, with extra settings.
    pub async fn behind_proxy(settings: &[(&str, &str)]) -> (Self, proxy::FaultProxy) {
        let database = TestDatabase::create().await;
        let proxy = proxy::FaultProxy::start(database.server_addr());
        let url = database.url_via(proxy.addr());
        let settings = [&[("DATABASE_URL", url.as_str())], settings].concat();
        (Self::start(&settings, Some(database)).await, proxy)
    }

    /// With these settings on top of the shared ones.
    pub async fn start(settings: &[(&str, &str)], database: Option<TestDatabase>) -> Self {
        let mut vars = base_settings();
        vars.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = Config::from_source(&vars.into_iter().collect()).expect("test configuration");
        let app = Application::build(config)
            .await
            .expect("application starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        Self {
            base,
            handle,
            database,
        }
    }

    /// Sends `body` (JSON unless `None`) with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let mut request = client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        }
        .expect("request sent");
        let bytes = response
            .body()
            .limit(10 * 1024 * 1024)
            .await
            .expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    /// Registers `email` (password `correct horse`) and returns the token and user id.
    pub async fn register(&self, email: &str) -> (String, String) {
        let answer = self
            .call(
                Method::POST,
                "/api/register",
                None,
                Some(
                    json!({"email": email, "password": "correct horse", "full_name": "Test User"}),
                ),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        let token = answer.body["token"].as_str().expect("token").to_owned();
        let id = answer.body["user"]["id"].as_str().expect("id").to_owned();
        (token, id)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// The old service's quick-start, as an HTTP client walks it: register,
/// log in, me, create a project, list, `PUT {"status":"completed"}`, delete,
/// and the project is gone. Returns the token.
pub async fn walk_the_quick_start(app: &TestApp) -> String {
    let registered = app
        .call(
            Method::POST,
            "/api/register",
            None,
            Some(json!({"email": "Ada@Example.com", "password": "correct horse", "full_name": "Ada"})),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    assert_eq!(registered.body["user"]["email"], "ada@example.com");
    assert!(registered.body["user"].get("password_hash").is_none());

    let login = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"email": "ada@example.com", "password": "correct horse"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let token = login.body["token"].as_str().unwrap().to_owned();

    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["id"], registered.body["user"]["id"]);

    let created = app
        .call(
            Method::POST,
            "/api/projects",
            Some(&token),
            Some(json!({"name": "Website Redesign", "description": "Q1", "budget": 15000.5, "deadline": "2099-12-31"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let project = &created.body["project"];
    assert_eq!(project["status"], "active");
    assert_eq!(project["budget"], json!(15000.5));
    assert_eq!(project["deadline"], "2099-12-31");
    let id = project["id"].as_str().unwrap().to_owned();

    let list = app.get("/api/projects", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["page"], 1);
    assert_eq!(list.body["limit"], 20);
    assert_eq!(list.body["totalPages"], 1);
    assert_eq!(list.body["data"][0]["id"], id.as_str());

    let put = app
        .call(
            Method::PUT,
            &format!("/api/projects/{id}"),
            Some(&token),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    assert_eq!(put.body["project"]["status"], "completed");
    assert_eq!(put.body["project"]["name"], "Website Redesign");
    assert_eq!(put.body["project"]["budget"], json!(15000.5));

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_null());
    let gone = app.get(&format!("/api/projects/{id}"), Some(&token)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error(), "Project not found");
    token
}
