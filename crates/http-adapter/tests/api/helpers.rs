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
use async_trait::async_trait;
use serde_json::{Value, json};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};
use time::{Date, OffsetDateTime, macros::date};
use trellis_blobs::MemoryBlobs;
use trellis_domain::{MediaType, Password, PasswordHash, Role, UserId};
use trellis_http::{
    AppState, TokenKeys, app,
    hardening::{CorsPolicy, Hardening, Metrics},
};
use trellis_memory::{InMemoryStore, MemoryCounters};
use trellis_password::BcryptHasher;
use trellis_ports::{
    Clock, HashError, PasswordHasher, RequestLimiter, StoreHealth, UserRepository, Verification,
};
use trellis_services::{
    AccountsService, AdminUsersService, AttachmentPolicy, AttachmentsService, CursorKey,
    EventsService, LoginThrottle, ProjectsService, RateLimitPolicy, RateLimits, RefreshKey,
    ResilientCounters, RevocationList, SessionIssuer, SessionPolicy, SessionsService,
    StoreHealthService, SystemClock,
};

/// The secret every test token is signed with.
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
/// How long the test app's access tokens live.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The largest body the test app accepts (the production default).
pub const BODY_LIMIT: usize = 10 * 1024;
/// The boundary of the multipart bodies [`TestApp::upload`] sends.
pub const FORM_BOUNDARY: &str = "api-test-boundary";
/// The largest attachment the test app accepts.
pub const ATTACHMENT_MAX_BYTES: u64 = 256 * 1024;
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
        assert_eq!(
            self.header("content-type"),
            Some(trellis_http::json::JSON_UTF8)
        );
        self.json()
    }

    /// Asserts the contract's error shape, and returns the body.
    pub fn error(&self, status: u16, message: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.bytes);
        assert_eq!(
            self.header("content-type"),
            Some(trellis_http::json::JSON_UTF8)
        );
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
    pub refresh_token: String,
    pub email: String,
}

/// The app under test, the store behind it, and its shared parts.
pub struct TestApp<S> {
    service: S,
    pub store: Arc<InMemoryStore>,
    pub keys: TokenKeys,
    pub limiter: Arc<dyn RequestLimiter>,
}

/// How to build the app under test: [`Setup::default`] is the real app over
/// a fresh in-memory store with every limit off.
pub struct Setup {
    /// The per-client limits; `None` turns them all off.
    pub limits: Option<RateLimitPolicy>,
    /// Where the limits count; by default this process's memory.
    pub counters: Option<Arc<ResilientCounters>>,
    /// `LOGIN_FAILURES_MAX` (0: off).
    pub login_failures_max: u32,
    /// `ALLOWED_ORIGINS`.
    pub origins: Option<Vec<String>>,
    /// `TRUST_PROXY_HOPS`.
    pub trust_proxy_hops: u32,
    /// `SLOW_REQUEST_MS`.
    pub slow_request: Duration,
    /// What readiness pings; by default the store.
    pub health: Option<Arc<dyn StoreHealth>>,
    /// A hasher whose every call fails, for real 500s.
    pub broken_hasher: bool,
    /// `REFRESH_REUSE_GRACE_SECS`.
    pub refresh_grace: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            limits: None,
            counters: None,
            login_failures_max: 0,
            origins: None,
            trust_proxy_hops: 0,
            slow_request: Duration::from_secs(1),
            health: None,
            broken_hasher: false,
            refresh_grace: SessionPolicy::default().grace,
        }
    }
}

/// A hasher that always fails, as a crashed hashing pool would.
struct BrokenHasher;

#[async_trait]
impl PasswordHasher for BrokenHasher {
    async fn hash(&self, _: Password) -> Result<PasswordHash, HashError> {
        Err(HashError::Failed("disk on fire".into()))
    }

    async fn verify(
        &self,
        _: Password,
        _: Option<PasswordHash>,
    ) -> Result<Verification, HashError> {
        Err(HashError::Failed("disk on fire".into()))
    }
}

/// A state over `store`, with bcrypt at its cheapest cost.
pub fn state(store: Arc<InMemoryStore>, health: Arc<dyn StoreHealth>) -> AppState {
    let hasher = Arc::new(BcryptHasher::new(4).unwrap());
    state_with(store, health, hasher, None, SessionPolicy::default())
}

fn state_with(
    store: Arc<InMemoryStore>,
    health: Arc<dyn StoreHealth>,
    hasher: Arc<dyn PasswordHasher>,
    throttle: Option<LoginThrottle>,
    policy: SessionPolicy,
) -> AppState {
    let issuer = SessionIssuer::new(
        store.clone(),
        RefreshKey::derive(SECRET),
        policy,
        Arc::new(SystemClock),
    );
    let mut accounts = AccountsService::new(store.clone(), Arc::clone(&hasher), issuer.clone());
    if let Some(throttle) = throttle {
        accounts = accounts.with_login_throttle(throttle);
    }
    let revocations = Arc::new(RevocationList::new(TOKEN_LIFETIME));
    let following = Arc::clone(&revocations);
    let feed = Arc::clone(&store);
    actix_web::rt::spawn(async move {
        following
            .follow(feed.as_ref(), feed.as_ref(), std::future::pending())
            .await;
    });
    let events = Arc::new(EventsService::new(
        store.clone(),
        store.clone(),
        revocations.clone(),
        5,
    ));
    let (following, feed, endings) = (
        Arc::clone(&events),
        Arc::clone(&store),
        revocations.ending(),
    );
    actix_web::rt::spawn(async move {
        following
            .follow(feed.as_ref(), endings, std::future::pending())
            .await;
    });
    AppState {
        accounts: Arc::new(accounts),
        events,
        sessions: Arc::new(SessionsService::new(
            issuer,
            store.clone(),
            hasher,
            Arc::clone(&revocations),
        )),
        revocations,
        projects: Arc::new(ProjectsService::new(
            store.clone(),
            store.clone(),
            Arc::new(FixedClock),
            CursorKey::derive(SECRET),
        )),
        attachments: Arc::new(AttachmentsService::new(
            store.clone(),
            Arc::new(MemoryBlobs::new()),
            Arc::new(FixedClock),
            AttachmentPolicy {
                max_bytes: ATTACHMENT_MAX_BYTES,
                per_project: 3,
                types: ["image/png", "text/plain", "text/csv", "application/pdf"]
                    .into_iter()
                    .map(|kind| MediaType::parse(kind).unwrap())
                    .collect(),
            },
        )),
        attachment_max_bytes: ATTACHMENT_MAX_BYTES,
        admin: Arc::new(AdminUsersService::new(store)),
        health: Arc::new(StoreHealthService::new(health)),
        tokens: TokenKeys::new(SECRET, TOKEN_LIFETIME),
        started_at: Instant::now(),
        body_limit: BODY_LIMIT,
        lifecycle: trellis_http::Lifecycle::new(),
    }
}

/// Starts the app over a fresh in-memory store, every limit off.
pub async fn spawn() -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    spawn_with(Setup::default()).await
}

/// Starts the app as `setup` says, over a fresh in-memory store.
pub async fn spawn_with(
    setup: Setup,
) -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let store = Arc::new(InMemoryStore::new());
    let health = setup.health.unwrap_or_else(|| store.clone());
    let counters = setup.counters.unwrap_or_else(|| {
        Arc::new(ResilientCounters::local(Arc::new(MemoryCounters::new(
            1_000,
        ))))
    });
    let policy = setup.limits.unwrap_or(RateLimitPolicy {
        max: 0,
        auth_max: 0,
        ..RateLimitPolicy::default()
    });
    let throttle = LoginThrottle::new(
        Arc::clone(&counters),
        setup.login_failures_max,
        policy.window,
    );
    let hasher: Arc<dyn PasswordHasher> = if setup.broken_hasher {
        Arc::new(BrokenHasher)
    } else {
        Arc::new(BcryptHasher::new(4).unwrap())
    };
    let sessions = SessionPolicy {
        grace: setup.refresh_grace,
        ..SessionPolicy::default()
    };
    let state = state_with(store.clone(), health, hasher, Some(throttle), sessions);
    let limiter: Arc<dyn RequestLimiter> = Arc::new(RateLimits::new(policy, counters));
    let hardening = Hardening {
        cors: CorsPolicy::new(setup.origins.as_deref()).unwrap(),
        metrics: Arc::new(
            Metrics::new()
                .with_health(Arc::clone(&state.health))
                .with_rate_limiter(Arc::clone(&limiter)),
        ),
        limiter: Arc::clone(&limiter),
        trust_proxy_hops: setup.trust_proxy_hops,
        slow_request: setup.slow_request,
    };
    let keys = state.tokens.clone();
    TestApp {
        service: test::init_service(app(state, hardening)).await,
        store,
        keys,
        limiter,
    }
}

/// A client address, distinct per `n`.
pub fn peer(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, n)), 40_000)
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

    /// `POST` of a `multipart/form-data` body (parts separated by
    /// [`FORM_BOUNDARY`]) to `path` as the holder of `token`.
    pub async fn upload(&self, path: &str, token: &str, form: Vec<u8>) -> Reply {
        let content_type = format!("multipart/form-data; boundary={FORM_BOUNDARY}");
        self.raw(Method::POST, path, Some(token), &content_type, form)
            .await
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
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
        }
    }

    /// Logs `email` in again (a second session), with [`PASSWORD`].
    pub async fn log_in(&self, email: &str) -> Account {
        let body = self
            .send(
                Method::POST,
                "/api/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await
            .ok(200);
        Account {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            token: body["token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
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
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
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
