//! Probes: liveness never touches storage; readiness pings it.

use super::method_not_allowed;
use crate::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(live))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/health/ready")
            .route(web::get().to(ready))
            .default_service(method_not_allowed("GET")),
    );
}

/// `200 {"status":"ok","uptime":<seconds>}`.
async fn live(state: web::Data<AppState>) -> HttpResponse {
    let uptime = state.started_at.elapsed().as_secs_f64();
    HttpResponse::Ok().json(json!({ "status": "ok", "uptime": uptime }))
}

/// `200 {"status":"ok","database":"ok"}` if storage answers, else
/// `503 {"status":"unavailable","database":"unreachable"}`.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok" })),
        Err(error) => {
            tracing::warn!(error = ?error, "readiness probe: storage unreachable");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": "unreachable" }))
        }
    }
}
