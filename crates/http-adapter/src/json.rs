//! JSON answers, labelled with the charset the contract names.

use actix_web::{HttpResponse, HttpResponseBuilder, error::JsonPayloadError};
use serde::Serialize;

/// The media type of every JSON answer: `application/json; charset=utf-8`,
/// as the service Trellis replaces sent it.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Finishes a response with a JSON body and [`JSON_UTF8`].
pub(crate) trait JsonAnswer {
    /// Serialises `value` as the body.
    fn json_utf8(&mut self, value: impl Serialize) -> HttpResponse;
}

/// The room an answer's buffer starts with: most answers fit, and a page
/// of 20 projects (about 9 KiB) grows it 4 times instead of 7.
const INITIAL_CAPACITY: usize = 1024;

impl JsonAnswer for HttpResponseBuilder {
    fn json_utf8(&mut self, value: impl Serialize) -> HttpResponse {
        let mut body = Vec::with_capacity(INITIAL_CAPACITY);
        match serde_json::to_writer(&mut body, &value) {
            Ok(()) => self.content_type(JSON_UTF8).body(body),
            Err(error) => HttpResponse::from_error(JsonPayloadError::Serialize(error)),
        }
    }
}
