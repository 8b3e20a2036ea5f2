//! The document for form clients, `GET /api/openapi-forms.json`.
//!
//! The operations that the old service's HTML forms use also take
//! `application/x-www-form-urlencoded`. Offering both content types in one
//! document makes common generators emit broken code (openapi-python-client
//! 0.29 cannot import it), so the main document offers JSON, names the
//! form alternative in each operation's description, and this second
//! document describes exactly those operations with form bodies, built from
//! the same field tables.

use super::{ApiDoc, bodies::FORM_BODIES};
use crate::body::Format;
use utoipa::{
    Modify, OpenApi,
    openapi::{self, Content, Ref, RefOr, path::Operation},
};

/// Where this document is served.
pub const PATH: &str = "/api/openapi-forms.json";

const FORM: &str = "application/x-www-form-urlencoded";

/// Notes the form alternative in the main document's operations.
#[derive(Debug)]
pub(super) struct FormNote;

impl Modify for FormNote {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        for_each_operation(doc, |operation| {
            if form_body(operation).is_some() {
                let note =
                    format!("Also accepts `{FORM}` (the old service's HTML forms): see `{PATH}`.");
                operation.description = Some(match operation.description.take() {
                    Some(description) => format!("{description}\n\n{note}"),
                    None => note,
                });
            }
        });
    }
}

/// The form document: the form operations alone, with form bodies.
pub fn document() -> openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.title = "Trellis (form bodies)".into();
    doc.info.description = Some(format!(
        "The operations of the Trellis API that also take `{FORM}` bodies, described with \
         those bodies. Everything else, and the JSON bodies, is in `/api/openapi.json`."
    ));
    for item in doc.paths.paths.values_mut() {
        for slot in operations(item) {
            if slot.as_ref().and_then(form_body).is_none() {
                *slot = None;
            }
        }
    }
    doc.paths
        .paths
        .retain(|_, item| operations(item).iter().any(|slot| slot.is_some()));
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, body) in FORM_BODIES {
        components
            .schemas
            .insert(format!("{name}Form"), body.schema(Format::Form));
    }
    for_each_operation(&mut doc, |operation| {
        let Some(name) = form_body(operation) else {
            return;
        };
        if let Some(RefOr::T(request)) = &mut operation.request_body {
            let form = Content::new(Some(Ref::from_schema_name(format!("{name}Form"))));
            request.content = [(FORM.to_owned(), RefOr::T(form))].into_iter().collect();
        }
        // Links name operations that are not in this document.
        for response in operation.responses.responses.values_mut() {
            if let RefOr::T(response) = response {
                response.links.clear();
            }
        }
    });
    doc
}

/// The schema name of `operation`'s form body, if it takes one.
fn form_body(operation: &Operation) -> Option<&'static str> {
    let id = operation.operation_id.as_deref()?;
    FORM_BODIES
        .iter()
        .find(|(operation_id, _, _)| *operation_id == id)
        .map(|(_, name, _)| *name)
}

fn operations(item: &mut openapi::PathItem) -> [&mut Option<Operation>; 9] {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
        &mut item.query,
    ]
}

fn for_each_operation(doc: &mut openapi::OpenApi, mut visit: impl FnMut(&mut Operation)) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item).into_iter().flatten() {
            visit(operation);
        }
    }
}
