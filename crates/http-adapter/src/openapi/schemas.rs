//! The building blocks of the field schemas (each field's own schema is
//! declared with the field, in `dto`), so that the document states exactly
//! the rules the server applies: what a schema calls valid, the server
//! accepts, and the other way round (a fuzzer checks both).

use utoipa::openapi::{
    KnownFormat, ObjectBuilder, SchemaFormat, Type,
    schema::{AnyOfBuilder, SchemaType},
};

/// The characters `str::trim` removes: Unicode `White_Space`. Spelled out
/// because regex engines disagree on `\s` (Python's includes U+001C..U+001F).
pub(crate) const WHITE_SPACE: &str =
    r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// No text field may contain NUL (U+0000).
pub(crate) const NO_NUL: &str = "^[^\\u0000]*$";

/// A pattern for text that is `min..=max` characters once trimmed
/// (`min` is 0 or 1): white space may surround it, and is not counted.
/// NUL is refused anywhere.
fn trimmed_pattern(min: usize, max: usize) -> String {
    let space = format!("[{WHITE_SPACE}]");
    let solid = format!("[^{WHITE_SPACE}\\u0000]");
    let inner = format!(
        "{solid}(?:[^\\u0000]{{0,{}}}{solid})?",
        max.saturating_sub(2)
    );
    let core = if min == 0 {
        format!("(?:{inner})?")
    } else {
        inner
    };
    format!("^{space}*{core}{space}*$")
}

pub(crate) fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// Makes `schema` also accept `null`: `"type": [<type>, "null"]`.
pub(crate) fn nullable(schema: ObjectBuilder, kind: Type) -> ObjectBuilder {
    schema.schema_type([kind, Type::Null].into_iter().collect::<SchemaType>())
}

/// Text trimmed before checking and storing, `min..=max` characters.
pub(crate) fn trimmed(description: &str, min: usize, max: usize) -> ObjectBuilder {
    text(description)
        .max_length(None::<usize>)
        .pattern(Some(trimmed_pattern(min, max)))
}

/// A date or an RFC 3339 date-time, as further items of `any`.
pub(crate) fn date_or_date_time(any: AnyOfBuilder) -> AnyOfBuilder {
    any.item(text("A date.").format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(
            text("An RFC 3339 date-time: its date part, as written, is kept.")
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
}
