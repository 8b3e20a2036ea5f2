//! Sessions: refreshing tokens, logging out, listing and ending sessions,
//! changing one's password.

use super::{get_or_head, method_not_allowed};
use crate::json::JsonAnswer;
use crate::openapi::bodies;
use crate::{
    ApiError, AppState,
    auth::{AdminUser, AuthUser},
    body::Input,
    client::Client,
    dto::{PasswordChange, RefreshBody, SessionList, TokenPair},
};
use actix_web::{HttpResponse, web};
use trellis_domain::{SessionId, UserId};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/token/refresh")
            .route(web::post().to(refresh))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/logout")
            .route(web::post().to(logout))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/logout/all")
            .route(web::post().to(logout_all))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/sessions")
            .route(get_or_head().to(list))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource("/api/sessions/{id}")
            .route(web::delete().to(end))
            .default_service(method_not_allowed("DELETE")),
    )
    .service(
        web::resource("/api/me/password")
            .route(web::patch().to(change_password))
            .default_service(method_not_allowed("PATCH")),
    )
    .service(
        web::resource("/api/users/{id}/sessions")
            .route(web::delete().to(end_user_sessions))
            .default_service(method_not_allowed("DELETE")),
    );
}

/// `200 {"token", "refresh_token", "expires_in"}`: the next pair.
#[utoipa::path(
    post,
    path = "/api/token/refresh",
    tag = "sessions",
    operation_id = "refresh_token",
    summary = "Refresh the tokens",
    description = "Spends the refresh token and answers the session's next pair. The same \
        spent token presented again within `REFRESH_REUSE_GRACE_SECS` (10 s) answers the same \
        pair (two tabs racing); later, it is taken as stolen and the whole session ends.",
    request_body(content(
        (bodies::Refresh = "application/json", example = json!({"refresh_token": "kq3Yq2cO0oS6v1Vq1o0vTqg6p4yQ0y0b0m0Y3k7i2d8"})),
    )),
    responses(
        (status = 200, description = "The next pair.", body = TokenPair),
        (status = 401, description = "`Invalid refresh token`: unknown, expired, of an ended session, or spent.",
            body = crate::error::ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Always `Bearer`.")),
            example = json!({"error": "Invalid refresh token", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn refresh(
    state: web::Data<AppState>,
    Client(client): Client,
    Input(RefreshBody(token)): Input<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let grant = state.sessions.refresh(token, client).await?;
    Ok(HttpResponse::Ok().json_utf8(TokenPair::of(&grant, &state.tokens)?))
}

/// `204`: this session ends.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "sessions",
    operation_id = "logout",
    summary = "Log out",
    description = "Ends the session of the bearer token: its access tokens answer `401 Token \
        revoked` on every instance within a second, its refresh token is invalid.",
    security(("bearer" = [])),
    responses((status = 204, description = "Logged out.")),
)]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    if let Some(session) = actor.session {
        // Already ended (by another request an instant ago) is as good.
        match state.sessions.end(&actor, session).await {
            Ok(()) | Err(trellis_ports::ServiceError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `204`: every session of the caller ends.
#[utoipa::path(
    post,
    path = "/api/logout/all",
    tag = "sessions",
    operation_id = "logout_all",
    summary = "Log out everywhere",
    security(("bearer" = [])),
    responses((status = 204, description = "Every session ended.")),
)]
pub(crate) async fn logout_all(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.sessions.end_all(&actor).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `200 {"data": [...]}`: the caller's live sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "sessions",
    operation_id = "list_sessions",
    summary = "My sessions",
    security(("bearer" = [])),
    responses((status = 200, description = "The live sessions, newest first; `current` marks the caller's.", body = SessionList)),
)]
pub(crate) async fn list(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    let sessions = state.sessions.list(&actor).await?;
    Ok(HttpResponse::Ok().json_utf8(SessionList::of(sessions, actor.session)))
}

/// A path id that is not a UUID names no session: 404, like a missing one.
fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    raw.parse().map_err(|_| ApiError::SessionNotFound)
}

/// `204`: that session ends.
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    tag = "sessions",
    operation_id = "end_session",
    summary = "End one of my sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The session's id.")),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = "`Session not found`: no such live session of the caller's.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Session not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn end(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.sessions.end(&actor, session_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `200 {"token", "refresh_token", "expires_in"}`: a new session.
#[utoipa::path(
    patch,
    path = "/api/me/password",
    tag = "sessions",
    operation_id = "change_password",
    summary = "Change my password",
    description = "Every session of the account ends; the answer is a new one's tokens. \
        `new_password` follows the sign-up rule (8 to 128 characters) and must differ from \
        the current one.",
    security(("bearer" = [])),
    request_body(content(
        (bodies::PasswordChange = "application/json", example = json!({
            "current_password": "correct horse battery", "new_password": "battery staple horse"
        })),
    )),
    responses((status = 200, description = "Changed; the tokens of a new session.", body = TokenPair)),
)]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    Client(client): Client,
    Input(change): Input<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let grant = state
        .sessions
        .change_password(&actor, change.current, change.new, client)
        .await?;
    Ok(HttpResponse::Ok().json_utf8(TokenPair::of(&grant, &state.tokens)?))
}

/// `204`: every session of that account ends (admins only).
#[utoipa::path(
    delete,
    path = "/api/users/{id}/sessions",
    tag = "users",
    operation_id = "end_user_sessions",
    summary = "End every session of an account",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The account's id.")),
    responses(
        (status = 204, description = "Every session of the account ended."),
        (status = 403, description = "`Insufficient permissions`: the caller is not an admin.",
            body = crate::error::ErrorBody),
        (status = 404, description = "`User not found`.", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn end_user_sessions(
    state: web::Data<AppState>,
    AdminUser(actor): AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user: UserId = id.parse().map_err(|_| ApiError::UserNotFound)?;
    state.sessions.end_user_sessions(&actor, user).await?;
    Ok(HttpResponse::NoContent().finish())
}
