//! Events on the wire: `{"id", "type", "project_id", "project", "at"}`,
//! the project rendered exactly as the REST answers render it, and the
//! stream ticket.

use super::{ProjectView, timestamp};
use serde::Serialize;
use trellis_domain::{Event, Timestamp};
use trellis_ports::IssuedTicket;
use utoipa::ToSchema;

/// A change to one of the caller's projects.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// Orders the caller's events; resume after it with `Last-Event-ID`
    /// (SSE) or `?after=` (WebSocket). Digits, in a string.
    #[schema(example = "1042")]
    id: String,
    /// What happened.
    #[serde(rename = "type")]
    #[schema(
        example = "project.updated",
        pattern = "^project\\.(created|updated|deleted)$"
    )]
    kind: &'static str,
    /// Which project.
    #[schema(value_type = String, format = Uuid)]
    project_id: String,
    /// The project as the change left it; null when it was deleted.
    project: Option<ProjectView>,
    /// When it happened (RFC 3339, UTC).
    #[serde(serialize_with = "timestamp::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-23T10:00:00.123456Z")]
    at: Timestamp,
}

impl From<&Event> for EventView {
    fn from(event: &Event) -> Self {
        Self {
            id: event.id.to_string(),
            kind: event.kind.as_str(),
            project_id: event.project_id.to_string(),
            project: event.project.clone().map(ProjectView::from),
            at: event.at,
        }
    }
}

impl EventView {
    /// The event's id, for an SSE `id:` line.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The event's type, for an SSE `event:` line.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// `{"type": "resync"}`: events were lost to retention; reload.
pub const RESYNC: &str = r#"{"type":"resync"}"#;

/// `201 {"ticket", "expires_in"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    /// Opens one stream, once: `GET /api/events?ticket=...`.
    #[schema(example = "x3f1Qm2hQy0Vb6kT9dFq1xq0mJ8Vb2cWkQ4yU7n1s5A")]
    ticket: String,
    /// Seconds it stays valid.
    #[schema(example = 30)]
    expires_in: u64,
}

impl From<IssuedTicket> for TicketView {
    fn from(ticket: IssuedTicket) -> Self {
        Self {
            ticket: ticket.secret,
            expires_in: ticket.expires_in.as_secs(),
        }
    }
}
