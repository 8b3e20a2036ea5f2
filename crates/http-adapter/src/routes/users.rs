//! Managing accounts: admins only.

use super::method_not_allowed;
use crate::{
    ApiError, AppState,
    auth::AdminUser,
    body::Input,
    dto::{PageView, RoleChange, UserEnvelope, UserView},
    query::PageQuery,
};
use actix_web::{HttpResponse, web};
use trellis_domain::UserId;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/users")
            .route(web::get().to(list))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/users/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(set_role))
            .default_service(method_not_allowed("GET, PATCH")),
    );
}

/// A path id that is not a UUID names no account: 404, like a missing one.
fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::UserNotFound)
}

/// `200` one page of all accounts, newest first.
async fn list(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    PageQuery(page): PageQuery,
) -> Result<HttpResponse, ApiError> {
    let page = state.admin.list_users(&actor, page).await?;
    Ok(HttpResponse::Ok().json(PageView::<UserView>::from(page)))
}

/// `200 {"user"}`.
async fn get(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = state.admin.get_user(&actor, user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(UserEnvelope::from(user)))
}

/// `200 {"user"}` with the new role.
async fn set_role(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    id: web::Path<String>,
    Input(RoleChange(role)): Input<RoleChange>,
) -> Result<HttpResponse, ApiError> {
    let user = state.admin.set_role(&actor, user_id(&id)?, role).await?;
    Ok(HttpResponse::Ok().json(UserEnvelope::from(user)))
}
