//! JSON answers, labelled with the charset the contract names.

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

/// The media type of every JSON answer: `application/json; charset=utf-8`,
/// as the service Trellis replaces sent it.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Finishes a response with a JSON body and [`JSON_UTF8`].
pub(crate) trait JsonAnswer {
    /// Serialises `value` as the body.
    fn json_utf8(&mut self, value: impl Serialize) -> HttpResponse;
}

impl JsonAnswer for HttpResponseBuilder {
    fn json_utf8(&mut self, value: impl Serialize) -> HttpResponse {
        self.content_type(JSON_UTF8).json(value)
    }
}
