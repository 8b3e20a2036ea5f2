//! Signing up, logging in, and one's own profile.

use super::method_not_allowed;
use crate::{
    ApiError, AppState,
    auth::AuthUser,
    body::Input,
    dto::{Credentials, Session, UserEnvelope},
};
use actix_web::{HttpResponse, web};
use trellis_domain::{ProfilePatch, User};
use trellis_ports::Registration;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/register")
            .route(web::post().to(register))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/login")
            .route(web::post().to(login))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/me")
            .route(web::get().to(me))
            .route(web::patch().to(update_me))
            .default_service(method_not_allowed("GET, PATCH")),
    );
}

/// `201 {"user", "token"}`.
async fn register(
    state: web::Data<AppState>,
    Input(registration): Input<Registration>,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.register(registration).await?;
    Ok(HttpResponse::Created().json(session(&state, user)?))
}

/// `200 {"user", "token"}`.
async fn login(
    state: web::Data<AppState>,
    Input(credentials): Input<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .accounts
        .login(credentials.email, credentials.password)
        .await?;
    Ok(HttpResponse::Ok().json(session(&state, user)?))
}

fn session(state: &AppState, user: User) -> Result<Session, ApiError> {
    let token = state.tokens.issue(&user)?;
    Ok(Session {
        user: user.into(),
        token,
    })
}

/// `200 {"user"}`: the caller's account, as stored now.
async fn me(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.me(&actor).await?;
    Ok(HttpResponse::Ok().json(UserEnvelope::from(user)))
}

/// `200 {"user"}` after changing the caller's name or e-mail.
async fn update_me(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    Input(patch): Input<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.update_me(&actor, patch).await?;
    Ok(HttpResponse::Ok().json(UserEnvelope::from(user)))
}
