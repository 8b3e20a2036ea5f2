//! The caller's own projects. Another user's project is answered exactly
//! like a missing one, so its existence is never revealed.

use super::method_not_allowed;
use crate::{
    ApiError, AppState,
    auth::AuthUser,
    body::Input,
    dto::{PageView, ProjectEnvelope, ProjectView},
    query::ProjectQuery,
};
use actix_web::{HttpResponse, web};
use trellis_domain::{NewProject, ProjectId, ProjectPatch};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/projects")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/projects/{id}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
    );
}

/// A path id that is not a UUID names no project: 404, like a missing one.
fn project_id(raw: &str) -> Result<ProjectId, ApiError> {
    raw.parse().map_err(|_| ApiError::ProjectNotFound)
}

/// `200` one page of the caller's projects, newest first.
async fn list(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    query: ProjectQuery,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .projects
        .list(&actor, query.status, query.page)
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<ProjectView>::from(page)))
}

/// `201 {"project"}`.
async fn create(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    Input(project): Input<NewProject>,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.create(&actor, project).await?;
    Ok(HttpResponse::Created().json(ProjectEnvelope::from(project)))
}

/// `200 {"project"}`.
async fn get(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.get(&actor, project_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(ProjectEnvelope::from(project)))
}

/// `200 {"project"}` after a partial update (PUT and PATCH alike).
async fn update(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
    Input(patch): Input<ProjectPatch>,
) -> Result<HttpResponse, ApiError> {
    let project = state
        .projects
        .update(&actor, project_id(&id)?, patch)
        .await?;
    Ok(HttpResponse::Ok().json(ProjectEnvelope::from(project)))
}

/// `204`, no body.
async fn delete(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.projects.delete(&actor, project_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
