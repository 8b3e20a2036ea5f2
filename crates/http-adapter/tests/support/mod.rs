//! Dummy routes and helpers shared by the hardening tests.
#![allow(dead_code, unused_macros)]

use actix_web::{
    HttpRequest, HttpResponse,
    body::MessageBody,
    dev::ServiceResponse,
    test,
    web::{self, ServiceConfig},
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use trellis_http::ApiError;

/// 200 `{"ok": true}`.
pub async fn ok() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

/// 500 through `ApiError::Internal`.
pub async fn boom() -> Result<HttpResponse, ApiError> {
    Err(ApiError::Internal("disk on fire".into()))
}

/// The 404 of the real app.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::EndpointNotFound)
}

/// An HTML page, like the Swagger UI.
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body("<html></html>")
}

/// A login that knows its caller, as the auth extractor will.
pub async fn login(req: HttpRequest) -> HttpResponse {
    trellis_http::hardening::record_user(&req, "user-42");
    HttpResponse::Ok().json(serde_json::json!({ "token": "t" }))
}

/// The routes of the dummy app.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/api/projects/{id}", web::get().to(ok))
        .route("/api/login", web::post().to(login))
        .route("/api/register", web::post().to(ok))
        .route("/api/boom", web::get().to(boom))
        .route("/health", web::get().to(ok))
        .route("/docs", web::get().to(docs))
        .route("/docs/{file}", web::get().to(docs));
}

/// The whole stack, in the order documented in `hardening`.
macro_rules! hardened_app {
    ($limiter:expr, $metrics:expr, $origins:expr) => {
        actix_web::App::new()
            .configure(support::routes)
            .route(
                "/metrics",
                actix_web::web::get().to(trellis_http::hardening::metrics::metrics_endpoint),
            )
            .app_data(actix_web::web::Data::from(std::sync::Arc::clone(&$metrics)))
            .default_service(actix_web::web::to(support::not_found))
            .wrap(trellis_http::hardening::RateLimit::new(
                std::sync::Arc::clone(&$limiter),
            ))
            .wrap(trellis_http::hardening::CorsPolicy::new($origins).unwrap())
            .wrap(trellis_http::hardening::SecurityHeaders)
            .wrap(trellis_http::hardening::HttpMetrics::new(
                std::sync::Arc::clone(&$metrics),
            ))
            .wrap(trellis_http::hardening::AccessLog::new(
                std::time::Duration::from_secs(1),
            ))
            .wrap(trellis_http::RequestIdentity)
    };
}

/// A client address, distinct per `n`.
pub fn peer(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, n)), 40_000)
}

/// The body as JSON (panics if it is not).
pub async fn json<B: MessageBody>(response: ServiceResponse<B>) -> serde_json::Value {
    let bytes = test::read_body(response).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
}

/// A header's value as text.
pub fn header<B>(response: &ServiceResponse<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("a text header").to_owned())
}

/// Log lines written while a [`Capture`] is installed on this thread.
#[derive(Clone, Default)]
pub struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// Installs a JSON subscriber at `debug` writing into the capture, for
    /// this thread, until the guard drops.
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(capture.clone())
            .finish();
        (
            capture.clone(),
            tracing::subscriber::set_default(subscriber),
        )
    }

    /// Every line so far, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().expect("capture lock").clone();
        String::from_utf8(bytes)
            .expect("utf-8 logs")
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON log line"))
            .collect()
    }

    /// Everything written so far, raw.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("capture lock").clone()).expect("utf-8 logs")
    }

    /// The lines whose message is `message`.
    pub fn with_message(&self, message: &str) -> Vec<serde_json::Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["message"] == message)
            .collect()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
