//! Files attached to the caller's projects: streamed up as
//! `multipart/form-data`, streamed down with ranges. The JSON body limit
//! does not apply; the service holds uploads to their own size limit.

mod disposition;
mod form;
mod range;

use super::{get_or_head, method_not_allowed, projects::project_id};
use crate::conditional::none_match;
use crate::dto::{AttachmentEnvelope, AttachmentList};
use crate::json::JsonAnswer;
use crate::openapi::bodies;
use crate::{ApiError, AppState, auth::AuthUser};
use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{ConnectionType, header},
    web,
};
use form::Form;
use futures_util::TryStreamExt;
use range::Wanted;
use trellis_domain::{Attachment, AttachmentId, ProjectId};

/// The policy of a download: it runs nothing and, opened as a page, is a
/// sandboxed one.
const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

/// Room for the multipart framing and the small parts around the file:
/// a body declaring more than the size limit plus this is refused before
/// it is read.
const FRAMING_SLACK: u64 = (form::MAX_PARTS * form::MAX_FIELD_BYTES) as u64 + 64 * 1024;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/projects/{id}/attachments")
            .route(get_or_head().to(list))
            .route(web::post().to(upload))
            .default_service(method_not_allowed("GET, HEAD, POST")),
    )
    .service(
        web::resource("/api/projects/{id}/attachments/{attachment}")
            .route(get_or_head().to(download))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("GET, HEAD, DELETE")),
    );
}

/// A path's ids, for the routes of one attachment: anything that names
/// no attachment (either id not a UUID) is 404 `Attachment not found`.
fn attachment_path(path: &(String, String)) -> Result<(ProjectId, AttachmentId), ApiError> {
    let project = path.0.parse().map_err(|_| ApiError::AttachmentNotFound)?;
    let attachment = path.1.parse().map_err(|_| ApiError::AttachmentNotFound)?;
    Ok((project, attachment))
}

/// `201 {"attachment"}`.
#[utoipa::path(
    post,
    path = "/api/projects/{id}/attachments",
    tag = "attachments",
    operation_id = "upload_attachment",
    summary = "Attach a file to one of my projects",
    description = "`multipart/form-data` with one part named `file` (at most 8 parts; others are \
        ignored and may hold at most 16 KiB each). The body streams to storage. Its type is \
        sniffed from its bytes, never taken from the client (text without a known signature is \
        `text/plain`, or `text/csv` when the part says so); types outside `ATTACHMENT_TYPES` are \
        415. Over `ATTACHMENT_MAX_BYTES` (25 MiB by default) the upload stops with 413 and \
        nothing is kept. At most `ATTACHMENTS_PER_PROJECT` (100) per project.",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The project's id.")),
    request_body(content((bodies::AttachmentUpload = "multipart/form-data"))),
    responses(
        (status = 201, description = "Stored.", body = AttachmentEnvelope, headers(
            ("Location" = String, description = "The attachment's download URL."),
        ), links(
            ("DownloadAttachment" = (operation_id = "download_attachment", parameters(("id" = "$response.body#/attachment/project_id"), ("attachment" = "$response.body#/attachment/id")))),
            ("DeleteAttachment" = (operation_id = "delete_attachment", parameters(("id" = "$response.body#/attachment/project_id"), ("attachment" = "$response.body#/attachment/id")))),
        )),
        (status = 400, description = "`Validation failed`: `file: is required` (no part named `file`), `file: could not be read` (a malformed body), `file: must be sent once`, or too many or too large other parts.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Validation failed", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81", "details": ["file: is required"]})),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 409, description = "`Too many attachments`: the project has `ATTACHMENTS_PER_PROJECT` already.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Too many attachments", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 413, description = "`Payload too large`: the file is over `ATTACHMENT_MAX_BYTES`; nothing was kept.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Payload too large", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 415, description = "`Unsupported content type`: the body is not `multipart/form-data`, or the file's bytes are of a type not allowed.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Unsupported content type", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Result<AuthUser, ApiError>,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    match receive(&req, &state, user, &id, payload).await {
        Ok(attachment) => {
            let location = format!(
                "/api/projects/{}/attachments/{}",
                attachment.project_id, attachment.id
            );
            HttpResponse::Created()
                .insert_header((header::LOCATION, location))
                .json_utf8(AttachmentEnvelope::from(attachment))
        }
        // The rest of the body may be unread: the connection cannot carry
        // another request, and a client still sending must not be waited for.
        Err(error) => {
            let mut answer = error.error_response();
            answer.head_mut().set_connection_type(ConnectionType::Close);
            answer
        }
    }
}

async fn receive(
    req: &HttpRequest,
    state: &AppState,
    user: Result<AuthUser, ApiError>,
    id: &str,
    payload: web::Payload,
) -> Result<Attachment, ApiError> {
    let AuthUser(actor) = user?;
    let project = project_id(id)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > state.attachment_max_bytes + FRAMING_SLACK) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut form = Form::new(req, payload)?;
    let Some(file) = form.file().await? else {
        return Err(ApiError::Validation(vec![trellis_domain::Violation::new(
            "file",
            "is required",
        )]));
    };
    let (upload, feeding) = form::feed(file);
    let (uploaded, ()) =
        futures_util::join!(state.attachments.upload(&actor, project, upload), feeding);
    let attachment = uploaded?;
    if let Err(error) = form.finish().await {
        state
            .attachments
            .delete(&actor, project, attachment.id)
            .await?;
        return Err(error);
    }
    Ok(attachment)
}

/// `200 {"data": [attachment, ...]}`, newest first.
#[utoipa::path(
    get,
    path = "/api/projects/{id}/attachments",
    tag = "attachments",
    operation_id = "list_attachments",
    summary = "The files of one of my projects",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "The project's id.")),
    responses(
        (status = 200, description = "Every attachment of the project, newest first.", body = AttachmentList),
        (status = 404, description = "`Project not found`: no such project, not the caller's, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Project not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn list(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let attachments = state.attachments.list(&actor, project_id(&id)?).await?;
    Ok(HttpResponse::Ok().json_utf8(AttachmentList::from(attachments)))
}

/// `200` the bytes, `206` a range of them.
#[utoipa::path(
    get,
    path = "/api/projects/{id}/attachments/{attachment}",
    tag = "attachments",
    operation_id = "download_attachment",
    summary = "Download a file of one of my projects",
    description = "The bytes, with `Content-Disposition: attachment` (`filename` and \
        `filename*`), `ETag: \"<sha256>\"` and `Accept-Ranges: bytes`. A single \
        `Range: bytes=a-b` (or `a-`, or `-n`) answers 206 with `Content-Range`; one past the end \
        416; several ranges, or one that is not valid, the whole file.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("attachment" = String, Path, format = Uuid, description = "The attachment's id."),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=0-1023`, `bytes=1024-` or `bytes=-512`."),
        ("If-Range" = Option<String>, Header, description = "The `ETag` a client holds: the `Range` is honoured only if it is still current."),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` a client holds: 304 if it is current."),
    ),
    responses(
        (status = 200, description = "The file, as its `content_type` (any of `ATTACHMENT_TYPES`).", content_type = "*/*", body = bodies::FileBytes, headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…`."),
            ("ETag" = String, description = "The SHA-256 digest of the bytes, quoted."),
            ("Accept-Ranges" = String, description = "`bytes`."),
        )),
        (status = 206, description = "The bytes of the range, as the file's `content_type`.", content_type = "*/*", body = bodies::FileBytes, headers(
            ("Content-Range" = String, description = "`bytes a-b/size`."),
            ("ETag" = String, description = "The SHA-256 digest of the whole file, quoted."),
        )),
        (status = 304, description = "Not modified: `If-None-Match` names the file's `ETag`. No body."),
        (status = 404, description = "`Attachment not found`: no such attachment of this project, not the caller's project, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Attachment not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
        (status = 416, description = "`Range not satisfiable`: the range starts past the end; `Content-Range: bytes */size`.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Range not satisfiable", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = attachment_path(&path)?;
    let attachment = state.attachments.find(&actor, project, id).await?;
    let digest = attachment.sha256.to_string();
    let etag = format!("\"{digest}\"");
    if none_match(&req, &digest) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let current = text(header::IF_RANGE).is_none_or(|tag| tag.trim() == etag);
    let size = attachment.size;
    let wanted = match current {
        true => range::wanted(text(header::RANGE), size),
        false => Wanted::Whole,
    };
    let (mut answer, range) = match wanted {
        Wanted::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size }),
        Wanted::Whole => (HttpResponse::Ok(), None),
        Wanted::Part(range) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", range.start, range.end),
            ));
            (partial, Some(range))
        }
    };
    let length = range.map_or(size, |range| range.len());
    let bytes = state.attachments.read(&attachment, range).await?;
    answer
        .content_type(attachment.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            disposition::attachment(&attachment.filename),
        ))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, DOWNLOAD_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(length);
    // Storage failing mid-way can only cut the answer short (its head is
    // sent): the client sees fewer bytes than `Content-Length`.
    Ok(answer.streaming(bytes.map_err(|error| {
        tracing::warn!(error = %error, "a download stopped: storage failed mid-way");
        error as Box<dyn std::error::Error>
    })))
}

/// `204`, no body.
#[utoipa::path(
    delete,
    path = "/api/projects/{id}/attachments/{attachment}",
    tag = "attachments",
    operation_id = "delete_attachment",
    summary = "Delete a file of one of my projects",
    description = "The bytes leave storage with it (at once, or within seconds if storage is slow to answer).",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "The project's id."),
        ("attachment" = String, Path, format = Uuid, description = "The attachment's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "`Attachment not found`: no such attachment of this project, not the caller's project, or an id that is not a UUID.",
            body = crate::error::ErrorBody,
            example = json!({"error": "Attachment not found", "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81"})),
    ),
)]
pub(crate) async fn delete(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = attachment_path(&path)?;
    state.attachments.delete(&actor, project, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
