//! A test app over the in-memory store, and a client with one method per
//! thing the tests do.

use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::{Method, StatusCode, header::HeaderMap},
    test::{self, TestRequest},
    web::Bytes,
};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration, time::Instant};
use time::{Date, OffsetDateTime, macros::date};
use trellis_domain::{Role, UserId};
use trellis_http::{AppState, TokenKeys, app, hardening::Hardening};
use trellis_memory::InMemoryStore;
use trellis_ports::{Clock, StoreHealth, UserRepository};
use trellis_services::{AccountsService, AdminUsersService, BcryptHasher, ProjectsService};

/// The secret every test token is signed with.
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
/// The largest body the test app accepts (the production default).
pub const BODY_LIMIT: usize = 10 * 1024;
/// "Today" for the test app: deadlines must be after it.
pub const TODAY: Date = date!(2026 - 11 - 24);
/// A password that passes the rules.
pub const PASSWORD: &str = "correct horse battery";

/// A clock stopped at noon of [`TODAY`].
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        TODAY.midnight().assume_utc() + time::Duration::hours(12)
    }
}

/// The answer to one request.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Reply {
    /// The body as JSON (panics, with the body, if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| panic!("not JSON: {:?}", self.bytes))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a success status and a JSON body, and returns the body.
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.bytes);
        assert_eq!(self.header("content-type"), Some("application/json"));
        self.json()
    }

    /// Asserts the contract's error shape, and returns the body.
    pub fn error(&self, status: u16, message: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.bytes);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["error"], message, "{body}");
        let id = self.header("x-request-id").expect("X-Request-Id");
        assert_eq!(body["request_id"], id);
        if status == 401 {
            assert_eq!(self.header("www-authenticate"), Some("Bearer"));
        }
        body
    }

    /// Asserts a 400 `Validation failed` with exactly these details.
    pub fn invalid(&self, details: &[&str]) {
        let body = self.error(400, "Validation failed");
        assert_eq!(body["details"], json!(details), "{body}");
    }
}

/// A signed-up user of the test app.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub token: String,
    pub email: String,
}

/// The app under test and the store behind it.
pub struct TestApp<S> {
    service: S,
    pub store: Arc<InMemoryStore>,
    pub keys: TokenKeys,
}

/// A state over a fresh store, with bcrypt at its cheapest cost.
pub fn state(store: Arc<InMemoryStore>, health: Arc<dyn StoreHealth>) -> AppState {
    let hasher = Arc::new(BcryptHasher::new(4).unwrap());
    AppState {
        accounts: Arc::new(AccountsService::new(store.clone(), hasher)),
        projects: Arc::new(ProjectsService::new(store.clone())),
        admin: Arc::new(AdminUsersService::new(store)),
        store: health,
        tokens: TokenKeys::new(SECRET, Duration::from_secs(3600)),
        started_at: Instant::now(),
        body_limit: BODY_LIMIT,
        clock: Arc::new(FixedClock),
    }
}

/// Starts the app over a fresh in-memory store.
pub async fn spawn() -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let store = Arc::new(InMemoryStore::new());
    let state = state(store.clone(), store.clone());
    let keys = state.tokens.clone();
    TestApp {
        service: test::init_service(app(state, Hardening::permissive())).await,
        store,
        keys,
    }
}

/// Sends `request` to `service` and reads the whole answer.
pub async fn call<S, B>(service: &S, request: TestRequest) -> Reply
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(service, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    Reply {
        status,
        headers,
        bytes,
    }
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Sends any request.
    pub async fn call(&self, request: TestRequest) -> Reply {
        call(&self.service, request).await
    }

    /// `method path` with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = TestRequest::default().method(method).uri(path);
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        if let Some(body) = body {
            request = request.set_json(body);
        }
        self.call(request).await
    }

    /// `GET path` as the holder of `token`.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    /// A body of `content_type` sent to `path`, with an optional token.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("content-type", content_type))
            .set_payload(body.into());
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        self.call(request).await
    }

    /// `POST /api/register`.
    pub async fn register(&self, body: Value) -> Reply {
        self.send(Method::POST, "/api/register", None, Some(body))
            .await
    }

    /// Signs up `email` and returns the account.
    pub async fn sign_up(&self, email: &str) -> Account {
        let body = self
            .register(json!({"email": email, "password": PASSWORD, "full_name": "Test User"}))
            .await
            .ok(201);
        Account {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            token: body["token"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
        }
    }

    /// Signs up `email`, makes it an admin in storage, and logs in again so
    /// that the token says so.
    pub async fn sign_up_admin(&self, email: &str) -> Account {
        let account = self.sign_up(email).await;
        self.store.set_role(account.id, Role::Admin).await.unwrap();
        let body = self
            .send(
                Method::POST,
                "/api/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await
            .ok(200);
        assert_eq!(body["user"]["role"], "admin");
        Account {
            token: body["token"].as_str().unwrap().to_owned(),
            ..account
        }
    }

    /// Creates a project of `account` and returns it.
    pub async fn create_project(&self, account: &Account, body: Value) -> Value {
        self.send(
            Method::POST,
            "/api/projects",
            Some(&account.token),
            Some(body),
        )
        .await
        .ok(201)["project"]
            .clone()
    }
}
