//! Probes: liveness never touches storage; readiness pings it.

use super::{get_or_head, method_not_allowed};
use crate::AppState;
use crate::json::JsonAnswer;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

/// How the process, or its database, is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Unavailable,
    Draining,
}

/// Whether the database answers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Database {
    Ok,
    Unreachable,
}

/// The body of `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
struct Liveness {
    #[schema(inline)]
    status: Status,
    /// Seconds since the process started.
    #[schema(minimum = 0)]
    uptime: f64,
}

/// The body of `GET /health/ready`.
#[derive(Debug, Serialize, ToSchema)]
struct Readiness {
    #[schema(inline)]
    status: Status,
    /// Left out while draining (the database is not asked then).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    database: Option<Database>,
}

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(get_or_head().to(live))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource("/health/ready")
            .route(get_or_head().to(ready))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

/// `200 {"status":"ok","uptime":<seconds>}`.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    operation_id = "live",
    summary = "Liveness",
    description = "Answers while the process serves requests; never touches the database.",
    responses((
        status = 200,
        description = "Alive.",
        body = inline(Liveness),
        example = json!({"status": "ok", "uptime": 12.5}),
    )),
)]
pub(crate) async fn live(state: web::Data<AppState>) -> HttpResponse {
    let uptime = state.started_at.elapsed().as_secs_f64();
    HttpResponse::Ok().json_utf8(Liveness {
        status: Status::Ok,
        uptime,
    })
}

/// `200 {"status":"ok","database":"ok"}` if storage answers, else
/// `503 {"status":"unavailable","database":"unreachable"}`; while draining,
/// `503 {"status":"draining"}` at once.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    operation_id = "ready",
    summary = "Readiness",
    description = "Answers 200 when the database answers a ping.",
    responses(
        (
            status = 200,
            description = "Ready.",
            body = inline(Readiness),
            example = json!({"status": "ok", "database": "ok"}),
        ),
        (
            status = 503,
            description = "The database does not answer (`unavailable`), or the instance is \
                shutting down and asks to be taken out of rotation (`draining`).",
            body = inline(Readiness),
            example = json!({"status": "unavailable", "database": "unreachable"}),
        ),
    ),
)]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    // Draining answers at once, without waiting on the database.
    if state.lifecycle.is_draining() {
        return HttpResponse::ServiceUnavailable().json_utf8(Readiness {
            status: Status::Draining,
            database: None,
        });
    }
    match state.health.ready().await {
        Ok(()) => HttpResponse::Ok().json_utf8(Readiness {
            status: Status::Ok,
            database: Some(Database::Ok),
        }),
        Err(error) => {
            tracing::warn!(error = ?error, "readiness probe: storage unreachable");
            HttpResponse::ServiceUnavailable().json_utf8(Readiness {
                status: Status::Unavailable,
                database: Some(Database::Unreachable),
            })
        }
    }
}
