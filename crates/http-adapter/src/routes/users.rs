//! Managing accounts: admins only.

use super::{get_or_head, method_not_allowed};
use crate::json::JsonAnswer;
use crate::openapi::bodies;
use crate::{
    ApiError, AppState,
    auth::AdminUser,
    body::Input,
    dto::{RoleChange, UserEnvelope, UserPage},
    query::PageQuery,
};
use actix_web::{HttpResponse, web};
use trellis_domain::UserId;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/users")
            .route(get_or_head().to(list))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource("/api/users/{id}")
            .route(get_or_head().to(get))
            .route(web::patch().to(set_role))
            .default_service(method_not_allowed("GET, HEAD, PATCH")),
    );
}

/// A path id that is not a UUID names no account: 404, like a missing one.
fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::UserNotFound)
}

/// `200` one page of all accounts, newest first.
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    operation_id = "list_users",
    summary = "List accounts",
    description = "Admins only. Newest first.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of accounts.", body = UserPage,
            links(("GetUser" = (operation_id = "get_user", parameters(("id" = "$response.body#/data/0/id")))))),
        (status = 403, description = "`Insufficient permissions`: the caller is not an admin.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Insufficient permissions", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn list(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    PageQuery(page): PageQuery,
) -> Result<HttpResponse, ApiError> {
    let page = state.admin.list_users(&actor, page).await?;
    Ok(HttpResponse::Ok().json_utf8(UserPage::from(page)))
}

/// `200 {"user"}`.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "users",
    operation_id = "get_user",
    summary = "One account",
    description = "Admins only.",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The account's id.")),
    responses(
        (status = 200, description = "The account.", body = UserEnvelope),
        (status = 403, description = "`Insufficient permissions`: the caller is not an admin.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Insufficient permissions", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 404, description = "`User not found`: no such account, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "User not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn get(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = state.admin.get_user(&actor, user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json_utf8(UserEnvelope::from(user)))
}

/// `200 {"user"}` with the new role.
#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "users",
    operation_id = "set_role",
    summary = "Change an account's role",
    description = "Admins only. JSON only. The account's owner gets a token with the new role at their next log-in.",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The account's id.")),
    request_body(content(
        (bodies::RoleChange = "application/json", example = json!({"role": "admin"})),
    )),
    responses(
        (status = 200, description = "The account with its new role.", body = UserEnvelope),
        (status = 403, description = "`Insufficient permissions`: the caller is not an admin.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Insufficient permissions", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 404, description = "`User not found`: no such account, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "User not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn set_role(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    id: web::Path<String>,
    Input(RoleChange(role)): Input<RoleChange>,
) -> Result<HttpResponse, ApiError> {
    let user = state.admin.set_role(&actor, user_id(&id)?, role).await?;
    Ok(HttpResponse::Ok().json_utf8(UserEnvelope::from(user)))
}
