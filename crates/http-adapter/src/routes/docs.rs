//! The API's own documentation: the OpenAPI document, and a Swagger UI
//! served from the binary (its assets are compiled in; nothing is fetched
//! from another host).

use super::{get_or_head, method_not_allowed};
use crate::{ApiError, hardening::security_headers::docs_policy, openapi};
use actix_web::{
    HttpResponse,
    http::header::{self, ContentEncoding},
    web,
};
use std::sync::{Arc, LazyLock};
use utoipa_swagger_ui::Config;

/// Where the document is served, and where Swagger UI reads it.
const DOCUMENT_PATH: &str = "/api/openapi.json";

/// Where Swagger UI lives. Its page loads its assets by relative URLs
/// (`./swagger-ui.css`), so it must be served from a path ending in `/`.
const UI_PATH: &str = "/docs/";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(DOCUMENT_PATH)
            .route(get_or_head().to(document))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource(openapi::forms::PATH)
            .route(get_or_head().to(forms_document))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::scope("/docs")
            .wrap(docs_policy())
            .service(
                web::resource("")
                    .route(get_or_head().to(docs_entry))
                    .default_service(method_not_allowed("GET, HEAD")),
            )
            .service(
                web::resource("/{file:.*}")
                    .route(get_or_head().to(swagger_ui))
                    .default_service(method_not_allowed("GET, HEAD")),
            ),
    );
}

/// `200` the OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "docs",
    operation_id = "openapi_document",
    summary = "This document",
    responses((
        status = 200,
        description = "The OpenAPI 3.1 document of the API.",
        content_type = "application/json",
        body = Object,
    )),
)]
pub(crate) async fn document() -> Result<HttpResponse, ApiError> {
    let json = openapi::json()
        .map_err(|error| ApiError::Internal(format!("OpenAPI document: {error}").into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::json::JSON_UTF8)
        .body(json))
}

/// `200` the OpenAPI 3.1 document of the operations that take form bodies.
#[utoipa::path(
    get,
    path = "/api/openapi-forms.json",
    tag = "docs",
    operation_id = "openapi_forms_document",
    summary = "The form operations' document",
    description = "The operations that also take `application/x-www-form-urlencoded` bodies, \
        described with those bodies (the main document offers their JSON bodies).",
    responses((
        status = 200,
        description = "An OpenAPI 3.1 document.",
        content_type = "application/json",
        body = Object,
    )),
)]
pub(crate) async fn forms_document() -> Result<HttpResponse, ApiError> {
    let json = openapi::forms_json()
        .map_err(|error| ApiError::Internal(format!("OpenAPI forms document: {error}").into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::json::JSON_UTF8)
        .body(json))
}

/// `308` to `/docs/`, where the page's relative asset URLs resolve.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "docs",
    operation_id = "docs_entry",
    summary = "Swagger UI (redirect)",
    responses((
        status = 308,
        description = "Swagger UI is at `/docs/`.",
        headers(("Location" = String, description = "`/docs/`.")),
    )),
)]
pub(crate) async fn docs_entry() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, UI_PATH))
        .finish()
}

/// `200` Swagger UI's page (`/docs/`) or one of its assets; 404 for
/// anything else.
#[utoipa::path(
    get,
    path = "/docs/",
    tag = "docs",
    operation_id = "swagger_ui",
    summary = "Swagger UI",
    description = "An interactive view of this document. \"Authorize\" takes a bearer token \
        from `POST /api/login`.",
    responses((
        status = 200,
        description = "The Swagger UI page.",
        content_type = "text/html",
        body = String,
    )),
)]
pub(crate) async fn swagger_ui(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
        Arc::new(
            Config::new([DOCUMENT_PATH])
                .persist_authorization(true)
                .validator_url("none"),
        )
    });
    let file = utoipa_swagger_ui::serve(&file, Arc::clone(&CONFIG))
        .map_err(|error| ApiError::Internal(format!("Swagger UI: {error}").into()))?
        .ok_or(ApiError::EndpointNotFound)?;
    let mut response = HttpResponse::Ok();
    if file.gzpipped {
        response.insert_header(ContentEncoding::Gzip);
    }
    Ok(response
        .content_type(file.content_type)
        .body(file.bytes.into_owned()))
}
