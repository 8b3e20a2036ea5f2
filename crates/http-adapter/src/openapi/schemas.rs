//! Schemas of the values the domain parses by hand, so that the document
//! states exactly the rules the server applies: what a schema calls valid,
//! the server accepts, and the other way round (a fuzzer checks both).

use trellis_domain::{
    Budget, Description, Email, FullName, Password, ProjectName, ProjectStatus, Role,
};
use utoipa::openapi::{
    KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type,
    schema::{AnyOfBuilder, SchemaType},
};

/// The characters `str::trim` removes: Unicode `White_Space`. Spelled out
/// because regex engines disagree on `\s` (Python's includes U+001C..U+001F).
const WHITE_SPACE: &str =
    r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// No text field may contain NUL (U+0000).
const NO_NUL: &str = "^[^\\u0000]*$";

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

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// Makes `schema` also accept `null`: `"type": [<type>, "null"]`.
pub(super) fn nullable(schema: ObjectBuilder, kind: Type) -> ObjectBuilder {
    schema.schema_type([kind, Type::Null].into_iter().collect::<SchemaType>())
}

/// Text trimmed before checking and storing, `min..=max` characters.
fn trimmed(description: &str, min: usize, max: usize) -> ObjectBuilder {
    text(description)
        .max_length(None::<usize>)
        .pattern(Some(trimmed_pattern(min, max)))
}

/// An e-mail address (trimmed, lower-cased).
pub fn email() -> ObjectBuilder {
    text("An e-mail address; trimmed and lower-cased before it is stored or compared.")
        .format(Some(SchemaFormat::Custom("email".into())))
        .max_length(Some(Email::MAX_CHARS))
        .examples(["ada@example.com"])
}

/// A new password.
pub fn new_password() -> ObjectBuilder {
    text("8 to 128 characters, kept as written (not trimmed).")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(Password::MIN_CHARS))
        .max_length(Some(Password::MAX_CHARS))
        .pattern(Some(NO_NUL))
        .examples(["correct horse battery"])
}

/// A password attempt at log-in.
pub fn password_attempt() -> ObjectBuilder {
    text("The account's password.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(1))
        .pattern(Some(NO_NUL))
        .examples(["correct horse battery"])
}

/// A person's name.
pub fn full_name() -> ObjectBuilder {
    trimmed("Trimmed, 1 to 100 characters.", 1, FullName::MAX_CHARS).examples(["Ada Lovelace"])
}

/// A project's name.
pub fn project_name() -> ObjectBuilder {
    trimmed("Trimmed, 1 to 200 characters.", 1, ProjectName::MAX_CHARS).examples(["Apollo"])
}

/// A project's description.
pub fn description() -> ObjectBuilder {
    trimmed(
        "Trimmed, at most 5000 characters, may be empty.",
        0,
        Description::MAX_CHARS,
    )
    .examples(["Landing on the moon"])
}

/// One of `values`.
fn one_of(description: &str, values: impl IntoIterator<Item = &'static str>) -> ObjectBuilder {
    text(description).enum_values(Some(values))
}

/// `active`, `completed` or `archived`.
pub fn project_status() -> RefOr<Schema> {
    one_of(
        "A project's status.",
        ProjectStatus::ALL.map(ProjectStatus::as_str),
    )
    .examples(["active"])
    .into()
}

/// `user` or `admin`.
pub fn role() -> RefOr<Schema> {
    one_of(
        "What the account may do: admins also manage users.",
        [Role::User, Role::Admin].map(Role::as_str),
    )
    .examples(["user"])
    .into()
}

/// A budget as a JSON number.
pub fn budget() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .description(Some(
            "Greater than 0, at most 9999999999.99, with at most 2 decimal places (a number \
             whose shortest decimal form has more, such as 0.30000000000000004, is refused).",
        ))
        .exclusive_minimum(Some(0))
        .maximum(Some(Budget::MAX_CENTS as f64 / 100.0))
        .examples([12500.5])
}

/// A budget in a form: its decimal text (white space around it is
/// ignored), or empty for none.
pub fn budget_text() -> ObjectBuilder {
    let space = format!("[{WHITE_SPACE}]*");
    text(
        "Empty for none, or a decimal greater than 0, at most 9999999999.99, with at most 2 \
         decimal places.",
    )
    .pattern(Some(format!(
        "^$|^{space}\\+?(?=[0-9.]*[1-9])0*[0-9]{{1,10}}(?:\\.[0-9]{{1,2}}0*)?{space}$"
    )))
    .examples(["12500.50"])
}

/// A deadline in a form: a date, an RFC 3339 date-time, or empty for none.
pub fn deadline_text() -> AnyOfBuilder {
    AnyOfBuilder::new()
        .item(text("None.").max_length(Some(0)))
        .item(text("A date.").format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(
            text("An RFC 3339 date-time: its date part, as written, is kept.")
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .description(Some("Strictly after today (UTC)."))
}

/// A deadline as sent: a date, an RFC 3339 date-time, or `null` (none).
pub fn deadline_input() -> AnyOfBuilder {
    AnyOfBuilder::new()
        .item(text("A date.").format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(
            text("An RFC 3339 date-time: its date part, as written, is kept.")
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some("Strictly after today (UTC)."))
}
