//! The caller's own projects. Another user's project is answered exactly
//! like a missing one, so its existence is never revealed.

use super::{get_or_head, method_not_allowed};
use crate::conditional::{IfMatch, not_modified, tagged};
use crate::idempotency::{IDEMPOTENT_REPLAYED, Idempotency};
use crate::json::JsonAnswer;
use crate::openapi::bodies;
use crate::{
    ApiError, AppState,
    auth::AuthUser,
    body::Input,
    dto::{NewProjectBody, ProjectEnvelope, ProjectPage, ProjectUpdateBody},
    query::ProjectQuery,
};
use actix_web::{HttpRequest, HttpResponse, web};
use trellis_domain::ProjectId;
use trellis_ports::Created;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/projects")
            .route(get_or_head().to(list))
            .route(web::post().to(create))
            .default_service(method_not_allowed("GET, HEAD, POST")),
    )
    .service(
        web::resource("/api/projects/{id}")
            .route(get_or_head().to(get))
            .route(web::put().to(replace))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("GET, HEAD, PUT, PATCH, DELETE")),
    );
}

/// A path id that is not a UUID names no project: 404, like a missing one.
pub(super) fn project_id(raw: &str) -> Result<ProjectId, ApiError> {
    raw.parse().map_err(|_| ApiError::ProjectNotFound)
}

/// `200` one page of the caller's projects, newest first.
#[utoipa::path(
    get,
    path = "/api/projects",
    tag = "projects",
    operation_id = "list_projects",
    summary = "List my projects",
    description = "Newest first (`created_at` descending, ties by `id`) unless `sort` says \
        otherwise. Every answer has `next_cursor`; pass it as `cursor` for the next page at the \
        same cost however deep (such a page has no `total`, `page` or `totalPages`). A cursor \
        carries its sort, statuses and `q`: repeating them is optional, changing them is 400.",
    security(("bearer" = [])),
    params(ProjectQuery),
    responses(
        (status = 200, description = "One page of the caller's projects.", body = ProjectPage),
    ),
)]
pub(crate) async fn list(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    query: ProjectQuery,
) -> Result<HttpResponse, ApiError> {
    let list = state.projects.list(&actor, query.0).await?;
    Ok(HttpResponse::Ok().json_utf8(ProjectPage::from(list)))
}

/// `201 {"project"}`.
#[utoipa::path(
    post,
    path = "/api/projects",
    tag = "projects",
    operation_id = "create_project",
    summary = "Create a project",
    description = "With an `Idempotency-Key`, a retry (same key, same fields, same caller, within \
        24 h) creates nothing and answers exactly what the first request answered, with \
        `Idempotent-Replayed: true`.",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Makes the create safe to retry: 1 to 255 visible ASCII characters, chosen by the client (a UUID, say)."),
    ),
    request_body(content(
        (bodies::NewProject = "application/json", example = json!({
            "name": "Apollo", "description": "Landing on the moon", "status": "active",
            "budget": 12500.5, "deadline": "2027-01-31"
        })),
    )),
    responses(
        (status = 201, description = "Created (or, with `Idempotent-Replayed: true`, the first answer to this `Idempotency-Key` again).", body = ProjectEnvelope, headers(
                ("ETag" = String, description = "The project's version as created, a strong entity tag."),
                ("Idempotent-Replayed" = Option<String>, description = "`true` when an earlier request with this `Idempotency-Key` created the project and this answer repeats it."),
            ),
            links(
                ("GetProject" = (operation_id = "get_project", parameters(("id" = "$response.body#/project/id")))),
                ("UpdateProject" = (operation_id = "update_project", parameters(("id" = "$response.body#/project/id")))),
                ("ReplaceProject" = (operation_id = "replace_project", parameters(("id" = "$response.body#/project/id")))),
                ("DeleteProject" = (operation_id = "delete_project", parameters(("id" = "$response.body#/project/id")))),
            ),
        ),
        (status = 409, description = "`Request in progress`: the first request with this `Idempotency-Key` has not answered yet; retry later.", body = crate::error::ErrorBody,
            example = json!({"error": "Request in progress", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 422, description = "`Idempotency key reused with a different body`: this caller used the key within 24 h for other fields; nothing was created.", body = crate::error::ErrorBody,
            example = json!({"error": "Idempotency key reused with a different body", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn create(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    Idempotency(key): Idempotency,
    Input(NewProjectBody(draft)): Input<NewProjectBody>,
) -> Result<HttpResponse, ApiError> {
    let created = match key {
        Some(key) => state.projects.create_once(&actor, draft, key).await?,
        None => Created {
            project: state.projects.create(&actor, draft).await?,
            replayed: false,
        },
    };
    let mut answer = tagged(HttpResponse::Created(), created.project.version());
    if created.replayed {
        answer.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    Ok(answer.json_utf8(ProjectEnvelope::from(created.project)))
}

/// `200 {"project"}`.
#[utoipa::path(
    get,
    path = "/api/projects/{id}",
    tag = "projects",
    operation_id = "get_project",
    summary = "One of my projects",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("If-None-Match" = Option<String>, Header, description = "The project's `ETag`s a client holds: 304 if one is current."),
    ),
    responses(
        (status = 200, description = "The project.", body = ProjectEnvelope, headers(("ETag" = String, description = "The project's current version, a strong entity tag."))),
        (status = 304, description = "Not modified: `If-None-Match` names the current version. No body.", headers(("ETag" = String, description = "The project's current version, a strong entity tag."))),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.get(&actor, project_id(&id)?).await?;
    let version = project.version();
    if let Some(unchanged) = not_modified(&req, version) {
        return Ok(unchanged);
    }
    Ok(tagged(HttpResponse::Ok(), version).json_utf8(ProjectEnvelope::from(project)))
}

/// `PUT`: the same partial update as [`update`], kept for the old
/// service's clients.
#[utoipa::path(
    put,
    path = "/api/projects/{id}",
    tag = "projects",
    operation_id = "replace_project",
    summary = "Update one of my projects (same as PATCH)",
    description = "A partial update, exactly like PATCH: only the fields present change; `null` clears `description`, `budget` or `deadline`.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("If-Match" = Option<String>, Header, description = "Only if the project is at one of these versions (`ETag`s, or `*`): 412 otherwise, and nothing changes."),
    ),
    request_body(content(
        (bodies::ProjectUpdate = "application/json", example = json!({"status": "completed", "budget": null})),
    )),
    responses(
        (status = 200, description = "The updated project.", body = ProjectEnvelope, headers(("ETag" = String, description = "The project's current version, a strong entity tag."))),
        (status = 412, description = "`Precondition failed`: `If-Match` names none of the project's current version; nothing changed.", body = crate::error::ErrorBody,
            example = json!({"error": "Precondition failed", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn replace(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    condition: IfMatch,
    body: Input<ProjectUpdateBody>,
) -> Result<HttpResponse, ApiError> {
    update(state, user, id, condition, body).await
}

/// `200 {"project"}` after a partial update.
#[utoipa::path(
    patch,
    path = "/api/projects/{id}",
    tag = "projects",
    operation_id = "update_project",
    summary = "Update one of my projects",
    description = "Only the fields present change; `null` clears `description`, `budget` or `deadline`.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("If-Match" = Option<String>, Header, description = "Only if the project is at one of these versions (`ETag`s, or `*`): 412 otherwise, and nothing changes."),
    ),
    request_body(content(
        (bodies::ProjectUpdate = "application/json", example = json!({"status": "completed", "budget": null})),
    )),
    responses(
        (status = 200, description = "The updated project.", body = ProjectEnvelope, headers(("ETag" = String, description = "The project's current version, a strong entity tag."))),
        (status = 412, description = "`Precondition failed`: `If-Match` names none of the project's current version; nothing changed.", body = crate::error::ErrorBody,
            example = json!({"error": "Precondition failed", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn update(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
    IfMatch(precondition): IfMatch,
    Input(ProjectUpdateBody(draft)): Input<ProjectUpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let project = state
        .projects
        .update(&actor, project_id(&id)?, draft, &precondition)
        .await?;
    let version = project.version();
    Ok(tagged(HttpResponse::Ok(), version).json_utf8(ProjectEnvelope::from(project)))
}

/// `204`, no body.
#[utoipa::path(
    delete,
    path = "/api/projects/{id}",
    tag = "projects",
    operation_id = "delete_project",
    summary = "Delete one of my projects",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("If-Match" = Option<String>, Header, description = "Only if the project is at one of these versions (`ETag`s, or `*`): 412 otherwise, and nothing changes."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 412, description = "`Precondition failed`: `If-Match` names none of the project's current version; nothing changed.", body = crate::error::ErrorBody,
            example = json!({"error": "Precondition failed", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn delete(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
    IfMatch(precondition): IfMatch,
) -> Result<HttpResponse, ApiError> {
    state
        .projects
        .delete(&actor, project_id(&id)?, &precondition)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
