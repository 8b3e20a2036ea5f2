//! Signing up, logging in, and one's own profile.

use super::{get_or_head, method_not_allowed};
use crate::conditional::{not_modified, tagged};
use crate::json::JsonAnswer;
use crate::openapi::bodies;
use crate::{
    ApiError, AppState,
    auth::AuthUser,
    body::Input,
    client::Client,
    dto::{Credentials, ProfileUpdateBody, SignedIn, UserEnvelope},
};
use actix_web::{HttpRequest, HttpResponse, web};
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
            .route(get_or_head().to(me))
            .route(web::patch().to(update_me))
            .default_service(method_not_allowed("GET, HEAD, PATCH")),
    );
}

/// `201 {"user", "token", "refresh_token", "expires_in"}`.
#[utoipa::path(
    post,
    path = "/api/register",
    tag = "accounts",
    operation_id = "register",
    summary = "Sign up",
    description = "Creates an account with the role `user` and logs it in: a new session, \
        its bearer token and its refresh token.",
    request_body(content(
        (bodies::Registration = "application/json", example = json!({
            "email": "ada@example.com", "password": "correct horse battery", "full_name": "Ada Lovelace"
        })),
    )),
    responses(
        (status = 201, description = "Signed up and logged in.", body = SignedIn),
        (status = 409, description = "`Email already registered`.", body = crate::error::ErrorBody,
            example = json!({"error": "Email already registered", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn register(
    state: web::Data<AppState>,
    Client(client): Client,
    Input(registration): Input<Registration>,
) -> Result<HttpResponse, ApiError> {
    let grant = state.accounts.register(registration, client).await?;
    Ok(HttpResponse::Created().json_utf8(SignedIn::of(grant, &state.tokens)?))
}

/// `200 {"user", "token", "refresh_token", "expires_in"}`.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "accounts",
    operation_id = "login",
    summary = "Log in",
    description = "Exchanges an e-mail address and password for a new session: a bearer \
        token and a refresh token.",
    request_body(content(
        (bodies::Credentials = "application/json", example = json!({
            "email": "ada@example.com", "password": "correct horse battery"
        })),
    )),
    responses(
        (status = 200, description = "Logged in.", body = SignedIn),
        (status = 401, description = "`Invalid credentials`: unknown e-mail or wrong password.",
            body = crate::error::ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Always `Bearer`.")),
            example = json!({"error": "Invalid credentials", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn login(
    state: web::Data<AppState>,
    Client(client): Client,
    Input(credentials): Input<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let grant = state
        .accounts
        .login(credentials.email, credentials.password, client)
        .await?;
    Ok(HttpResponse::Ok().json_utf8(SignedIn::of(grant, &state.tokens)?))
}

/// `200 {"user"}`: the caller's account, as stored now.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "accounts",
    operation_id = "get_me",
    summary = "My account",
    security(("bearer" = [])),
    params(
        ("If-None-Match" = Option<String>, Header, description = "The account's `ETag`s a client holds: 304 if one is current."),
    ),
    responses(
        (status = 200, description = "The caller's account.", body = UserEnvelope,
            headers(("ETag" = String, description = "The account's current version, a strong entity tag."))),
        (status = 304, description = "Not modified: `If-None-Match` names the current version. No body.",
            headers(("ETag" = String, description = "The account's current version, a strong entity tag."))),
        (status = 404, description = "`User not found`: the account was deleted.",
            body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn me(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.me(&actor).await?;
    let version = user.version();
    if let Some(unchanged) = not_modified(&req, version) {
        return Ok(unchanged);
    }
    Ok(tagged(HttpResponse::Ok(), version).json_utf8(UserEnvelope::from(user)))
}

/// `200 {"user"}` after changing the caller's name or e-mail.
#[utoipa::path(
    patch,
    path = "/api/me",
    tag = "accounts",
    operation_id = "update_me",
    summary = "Change my name or e-mail",
    security(("bearer" = [])),
    request_body(content(
        (bodies::ProfileUpdate = "application/json", example = json!({"full_name": "Ada King"})),
    )),
    responses(
        (status = 200, description = "The updated account.", body = UserEnvelope),
        (status = 400, description = "Invalid fields, or neither `full_name` nor `email` (an empty body too).",
            body = crate::error::ErrorBody),
        (status = 404, description = "`User not found`: the account was deleted.",
            body = crate::error::ErrorBody),
        (status = 409, description = "`Email already registered`.", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn update_me(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    Input(ProfileUpdateBody(draft)): Input<ProfileUpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.update_me(&actor, draft).await?;
    Ok(HttpResponse::Ok().json_utf8(UserEnvelope::from(user)))
}
