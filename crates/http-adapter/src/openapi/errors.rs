//! The error answers operations share, added by rule rather than repeated
//! on every handler, and the `X-Request-Id` header every answer carries.
//!
//! | the operation | may answer |
//! |---|---|
//! | requires a bearer token | 401 |
//! | reads a body | 400, 413, 415 |
//! | reads query parameters | 400 |
//! | is under `/api/` | 429 (rate limit) |
//! | calls a service (tags `accounts`, `projects`, `users`) | 500, 503 |
//!
//! An answer a handler documents itself (a 400 with its own description)
//! is kept.

use crate::error::ErrorBody;
use utoipa::{
    Modify, ToSchema,
    openapi::{
        Content, OpenApi, Ref, RefOr, Response,
        header::{Header, HeaderBuilder},
        path::{Operation, ParameterIn},
        schema::{ObjectBuilder, Type},
    },
};

/// The header every answer carries, and its component's name.
const REQUEST_ID: &str = "X-Request-Id";

/// Tags of the operations that call a service (and so storage).
const SERVICE_TAGS: [&str; 4] = ["accounts", "projects", "attachments", "users"];

/// One shared error answer: its status, component name, description,
/// example `error` and the header it carries, if any.
struct Shared {
    status: &'static str,
    name: &'static str,
    description: &'static str,
    error: &'static str,
    header: Option<(&'static str, &'static str)>,
}

const BAD_REQUEST: Shared = Shared {
    status: "400",
    name: "BadRequest",
    description: "Invalid input: `Validation failed` with `details` listing every failing \
        field, or `Invalid JSON`.",
    error: "Validation failed",
    header: None,
};
const UNAUTHORIZED: Shared = Shared {
    status: "401",
    name: "Unauthorized",
    description: "`Authentication required` (no bearer token), `Token expired` or `Invalid token`.",
    error: "Authentication required",
    header: Some(("WWW-Authenticate", "Always `Bearer`.")),
};
const PAYLOAD_TOO_LARGE: Shared = Shared {
    status: "413",
    name: "PayloadTooLarge",
    description: "The body is over the limit (10 KB by default).",
    error: "Payload too large",
    header: None,
};
const UNSUPPORTED_MEDIA_TYPE: Shared = Shared {
    status: "415",
    name: "UnsupportedMediaType",
    description: "A non-empty body that is not one of the accepted content types.",
    error: "Unsupported content type",
    header: None,
};
const TOO_MANY_REQUESTS: Shared = Shared {
    status: "429",
    name: "TooManyRequests",
    description: "Over the rate limit of the client's address.",
    error: "Too many requests",
    header: Some(("Retry-After", "Seconds until the window resets.")),
};
const INTERNAL: Shared = Shared {
    status: "500",
    name: "InternalServerError",
    description: "An unexpected failure; the details are in the server's log only.",
    error: "Internal server error",
    header: None,
};
const UNAVAILABLE: Shared = Shared {
    status: "503",
    name: "ServiceUnavailable",
    description: "The database is down or saturated; retry later.",
    error: "Service unavailable",
    header: Some(("Retry-After", "Seconds to wait before retrying.")),
};

const ALL: [&Shared; 7] = [
    &BAD_REQUEST,
    &UNAUTHORIZED,
    &PAYLOAD_TOO_LARGE,
    &UNSUPPORTED_MEDIA_TYPE,
    &TOO_MANY_REQUESTS,
    &INTERNAL,
    &UNAVAILABLE,
];

/// Adds the shared answers (see the module docs) and `X-Request-Id`.
#[derive(Debug)]
pub(super) struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.headers.insert(
            REQUEST_ID.to_owned(),
            RefOr::T(string_header(
                "The request's id: the incoming `X-Request-Id` if it is a sane token of at \
                 most 128 visible ASCII characters, else a new UUID.",
            )),
        );
        for shared in ALL {
            components
                .responses
                .insert(shared.name.to_owned(), RefOr::T(shared.response()));
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for shared in applicable(path, operation) {
                    let reference = Ref::from_response_name(shared.name);
                    operation
                        .responses
                        .responses
                        .entry(shared.status.to_owned())
                        .or_insert(RefOr::Ref(reference));
                }
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        add_request_id(response);
                    }
                }
            }
        }
    }
}

/// The shared answers `operation` on `path` may give.
fn applicable(path: &str, operation: &Operation) -> Vec<&'static Shared> {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let has_body = operation.request_body.is_some();
    let has_query =
        operation.parameters.iter().flatten().any(
            |parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query),
        );
    let calls_service = operation
        .tags
        .iter()
        .flatten()
        .any(|tag| SERVICE_TAGS.contains(&tag.as_str()));
    let mut shared = Vec::new();
    if has_body || has_query {
        shared.push(&BAD_REQUEST);
    }
    if secured {
        shared.push(&UNAUTHORIZED);
    }
    if has_body {
        shared.extend([&PAYLOAD_TOO_LARGE, &UNSUPPORTED_MEDIA_TYPE]);
    }
    if path.starts_with("/api/") {
        shared.push(&TOO_MANY_REQUESTS);
    }
    if calls_service {
        shared.extend([&INTERNAL, &UNAVAILABLE]);
    }
    shared
}

impl Shared {
    fn response(&self) -> Response {
        let example = serde_json::json!({
            "error": self.error,
            "request_id": "0b7e0a4e-8f9d-4a5e-9a43-3c1d2b6f7e81",
        });
        let mut content = Content::new(Some(Ref::from_schema_name(ErrorBody::name())));
        content.example = Some(example);
        let mut response = Response::new(self.description);
        response
            .content
            .insert("application/json".to_owned(), RefOr::T(content));
        if let Some((name, description)) = self.header {
            response
                .headers
                .insert(name.to_owned(), RefOr::T(string_header(description)));
        }
        add_request_id(&mut response);
        response
    }
}

fn string_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(description))
        .build()
}

/// Every answer carries the request's id.
fn add_request_id(response: &mut Response) {
    response
        .headers
        .entry(REQUEST_ID.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/headers/{REQUEST_ID}"))));
}
