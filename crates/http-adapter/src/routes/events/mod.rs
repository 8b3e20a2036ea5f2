//! `GET /api/events`: the caller's project changes as a WebSocket (an
//! upgrade request) or as Server-Sent Events (`Accept: text/event-stream`),
//! and `POST /api/events/ticket` for browsers, which cannot put a bearer
//! header on a WebSocket.
//!
//! Everything that can refuse a stream — authentication, the query, the
//! handshake, the per-user cap — answers before the upgrade, as an
//! ordinary JSON error.

mod sse;
mod ws;

use super::{get_or_head, method_not_allowed};
use crate::json::JsonAnswer;
use crate::{ApiError, AppState, auth::AuthUser, dto::TicketView};
use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, header},
    web,
};
use std::{collections::HashMap, time::Duration};
use trellis_domain::{EventId, Violation};
use trellis_ports::Actor;

/// How often an idle stream is pinged (SSE: a comment line).
const PING: Duration = Duration::from_secs(25);

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/events")
            .route(get_or_head().to(events))
            .default_service(method_not_allowed("GET, HEAD")),
    )
    .service(
        web::resource("/api/events/ticket")
            .route(web::post().to(ticket))
            .default_service(method_not_allowed("POST")),
    );
}

/// `201 {"ticket", "expires_in": 30}`.
#[utoipa::path(
    post,
    path = "/api/events/ticket",
    tag = "events",
    operation_id = "event_ticket",
    summary = "A ticket to open one event stream",
    description = "For browsers, which cannot set `Authorization` on a WebSocket: \
        `GET /api/events?ticket=<ticket>` authenticates as the caller, once, within 30 seconds.",
    security(("bearer" = [])),
    responses((status = 201, description = "A single-use ticket.", body = TicketView)),
)]
pub(crate) async fn ticket(
    state: web::Data<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<HttpResponse, ApiError> {
    let ticket = state.events.issue_ticket(&actor).await?;
    Ok(HttpResponse::Created().json_utf8(TicketView::from(ticket)))
}

/// A stream of the caller's events (see the module docs).
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "events",
    operation_id = "events",
    summary = "Stream my project changes",
    description = "A WebSocket (send an upgrade request) or Server-Sent Events (`Accept: \
        text/event-stream`) of the changes to the caller's projects, made on any instance. Each \
        message is an `Event`; on SSE its `id:` line is the event id and `event:` its type. \
        Resume with `Last-Event-ID` (SSE) or `?after=` (both): the kept events after it come \
        first; past `EVENTS_RETENTION_SECS` one `{\"type\":\"resync\"}` comes instead. Pings \
        every 25 s (SSE: `: keep-alive`); a WebSocket that answers nothing for 60 s is closed. \
        A client more than 1,000 events behind is closed (WebSocket 1008), as are the streams \
        of a session that ends; a stopping instance closes them (WebSocket 1001). A ticket \
        that is unknown, spent or expired answers 401 `Invalid ticket`; every refusal comes \
        before the upgrade.",
    security(("bearer" = []), ("ticket" = [])),
    params(
        ("after" = Option<String>, Query, pattern = "^[0-9]{0,18}$", description = "Resume after this event id (digits; empty is the same as absent)."),
        ("ticket" = Option<String>, Query, description = "A ticket from `POST /api/events/ticket`, instead of a bearer header."),
        ("Last-Event-ID" = Option<String>, Header, nullable = false, pattern = "^[0-9]{0,18}$", description = "SSE: resume after this event id (digits; empty is the same as absent)."),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol: one text message per `Event`."),
        (status = 200, description = "The event stream.", content_type = "text/event-stream", body = crate::dto::EventView),
        (status = 400, description = "`Validation failed`: `after` (or `Last-Event-ID`) is not an event id.", body = crate::error::ErrorBody),
        (status = 406, description = "`Not acceptable`: neither an upgrade nor `Accept: text/event-stream`.", body = crate::error::ErrorBody),
        (status = 429, description = "`Too many streams`: `EVENTS_MAX_PER_USER` are open already.", body = crate::error::ErrorBody),
        (status = 503, description = "`Service unavailable`: the instance is stopping.", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn events(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = StreamQuery::of(&req)?;
    let actor = caller(&req, &state, query.ticket.as_deref()).await?;
    let websocket = is_upgrade(&req);
    if !websocket && !accepts_event_stream(&req) {
        return Err(ApiError::NotAcceptable);
    }
    if state.lifecycle.is_draining() {
        return Err(ApiError::Unavailable("the instance is stopping".into()));
    }
    if req.method() == Method::HEAD {
        return Ok(sse::head());
    }
    if websocket {
        let (response, session, messages) = ws::handshake(&req, payload)?;
        let deliveries = state.events.subscribe(&actor, query.after).await?;
        ws::serve(session, messages, deliveries, state.lifecycle.clone());
        return Ok(response);
    }
    let after = last_event_id(&req)?.or(query.after);
    let deliveries = state.events.subscribe(&actor, after).await?;
    Ok(sse::open(deliveries, state.lifecycle.clone()))
}

/// The bearer header's caller, else the ticket's.
async fn caller(
    req: &HttpRequest,
    state: &AppState,
    ticket: Option<&str>,
) -> Result<Actor, ApiError> {
    match ticket {
        Some(ticket) if !req.headers().contains_key(header::AUTHORIZATION) => {
            let actor = state.events.redeem_ticket(ticket).await?;
            crate::hardening::record_user(req, actor.id);
            Ok(actor)
        }
        _ => crate::auth::authenticate(req),
    }
}

/// `?after=&ticket=` (others are ignored; a repeated one counts once).
#[derive(Debug, Default)]
struct StreamQuery {
    after: Option<EventId>,
    ticket: Option<String>,
}

impl StreamQuery {
    fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let mut params: HashMap<String, String> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
                .unwrap_or_default()
                .into_iter()
                .collect();
        Ok(Self {
            // Empty is absent, as for `Last-Event-ID` and `ticket`.
            after: params
                .get("after")
                .filter(|after| !after.trim().is_empty())
                .map(|after| event_id("after", after))
                .transpose()?,
            ticket: params.remove("ticket").filter(|ticket| !ticket.is_empty()),
        })
    }
}

fn event_id(field: &'static str, raw: &str) -> Result<EventId, ApiError> {
    raw.trim()
        .parse()
        .map_err(|message| ApiError::Validation(vec![Violation::new(field, message)]))
}

fn last_event_id(req: &HttpRequest) -> Result<Option<EventId>, ApiError> {
    let Some(value) = req.headers().get("last-event-id") else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("-");
    if value.trim().is_empty() {
        return Ok(None);
    }
    event_id("Last-Event-ID", value).map(Some)
}

fn is_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Whether `Accept` allows `text/event-stream` (no `Accept` allows anything).
fn accepts_event_stream(req: &HttpRequest) -> bool {
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return true;
    };
    accept.to_str().unwrap_or_default().split(',').any(|range| {
        let media = range.split(';').next().unwrap_or_default().trim();
        ["text/event-stream", "text/*", "*/*"]
            .iter()
            .any(|allowed| media.eq_ignore_ascii_case(allowed))
    })
}
