//! The OpenAPI 3.1 document of the API, generated from the code.
//!
//! Each handler carries its own `#[utoipa::path]` (method, path, body,
//! the answers particular to it) and each response DTO derives its schema.
//! What every operation of a kind shares is added here, by rule, so that no
//! operation can forget it (module `errors`): 401 wherever a bearer token is
//! required, 400/413/415 wherever a body is read, 429/500/503 on `/api`.
//! `GET /api/openapi.json` serves the document and `GET /docs` a Swagger UI
//! pointed at it (module `routes::docs`).

pub mod bodies;
mod errors;
pub mod forms;
mod metrics;
pub(crate) mod schemas;

use crate::routes::{accounts, attachments, docs, events, health, projects, sessions, users};
use errors::SharedErrors;
use forms::FormNote;
use metrics::MetricsEndpoint;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

/// The name of the bearer security scheme in the document (the handlers'
/// `security(("bearer" = []))` must name it: the macro takes only literals).
pub const BEARER: &str = "bearer";

/// The name of the stream-ticket security scheme (`?ticket=` on
/// `GET /api/events`).
pub const TICKET: &str = "ticket";

/// The whole API, as an OpenAPI 3.1 document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Trellis",
        description = "Accounts and their projects: sign up, log in for a JWT, keep a list of \
            projects, and (admins) manage users.\n\n\
            Every error answers `{\"error\", \"request_id\", \"details\"?}`; `details` lists \
            every failing field of a validation error as `\"<field>: <message>\"`. Every \
            answer carries `X-Request-Id`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        health::live,
        health::ready,
        accounts::register,
        accounts::login,
        accounts::me,
        accounts::update_me,
        projects::list,
        projects::create,
        projects::get,
        projects::replace,
        projects::update,
        projects::delete,
        attachments::upload,
        attachments::list,
        attachments::download,
        attachments::delete,
        users::list,
        users::get,
        users::set_role,
        sessions::refresh,
        sessions::logout,
        sessions::logout_all,
        sessions::list,
        sessions::end,
        sessions::change_password,
        sessions::end_user_sessions,
        events::events,
        events::ticket,
        docs::document,
        docs::forms_document,
        docs::docs_entry,
        docs::swagger_ui,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerScheme, &MetricsEndpoint, &SharedErrors, &FormNote),
    tags(
        (name = "health", description = "Probes for orchestrators and monitoring."),
        (name = "accounts", description = "Signing up, logging in, one's own profile."),
        (name = "sessions", description = "Refresh tokens, logging out, one's sessions and password."),
        (name = "projects", description = "The caller's own projects."),
        (name = "attachments", description = "Files attached to the caller's projects."),
        (name = "users", description = "Managing accounts: admins only."),
        (name = "events", description = "The caller's project changes, live, over WebSocket or SSE."),
        (name = "docs", description = "This document and its Swagger UI."),
    ),
)]
pub struct ApiDoc;

/// The document as JSON, built once.
pub fn json() -> Result<&'static str, &'static serde_json::Error> {
    static JSON: std::sync::LazyLock<Result<String, serde_json::Error>> =
        std::sync::LazyLock::new(|| ApiDoc::openapi().to_json());
    JSON.as_deref()
}

/// The form clients' document ([`forms`]) as JSON, built once.
pub fn forms_json() -> Result<&'static str, &'static serde_json::Error> {
    static JSON: std::sync::LazyLock<Result<String, serde_json::Error>> =
        std::sync::LazyLock::new(|| forms::document().to_json());
    JSON.as_deref()
}

/// Declares `Authorization: Bearer <jwt>` as [`BEARER`], and `?ticket=` as
/// [`TICKET`].
#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An HS256 JWT from `POST /api/register` or `POST /api/login`, valid 24 hours \
                 by default.",
            ))
            .build();
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
        components.add_security_scheme(
            TICKET,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "ticket",
                "A single-use ticket from `POST /api/events/ticket`, valid 30 seconds.",
            ))),
        );
    }
}
