//! The fields of a project body, each declared once: name, kind, parser
//! and schema (JSON and form). Adding a field is its domain type, a line
//! here, and a line in [`read`].

use crate::body::{Field, Fields, Kind};
use crate::openapi::schemas::{WHITE_SPACE, date_or_date_time, nullable, text, trimmed};
use std::borrow::Cow;
use trellis_domain::{Budget, Deadline, Description, ProjectName, ProjectPatch, ProjectStatus};
use utoipa::openapi::{
    ObjectBuilder, RefOr, Schema, Type,
    schema::{AnyOfBuilder, SchemaType},
};

pub(super) const NAME: Field<ProjectName> =
    Field::new("name", Kind::Text, ProjectName::parse, name, name);
pub(super) const DESCRIPTION: Field<Description> = Field::new(
    "description",
    Kind::Text,
    Description::parse,
    description_or_null,
    description,
)
.clearable();
pub(super) const STATUS: Field<ProjectStatus> =
    Field::new("status", Kind::Text, str::parse, status, status);
pub(super) const BUDGET: Field<Budget> =
    Field::new("budget", Kind::Decimal, budget, budget_or_null, budget_text).clearable();
pub(super) const DEADLINE: Field<Deadline> = Field::new(
    "deadline",
    Kind::Text,
    Deadline::parse,
    deadline_or_null,
    deadline_text,
)
.clearable();

/// The fields of a project body, into a patch (every field optional;
/// `name` required when `name_required`).
pub(super) fn read(fields: &mut Fields, name_required: bool) -> ProjectPatch {
    ProjectPatch {
        name: if name_required {
            fields.require(&NAME)
        } else {
            fields.take(&NAME).into_value()
        },
        description: fields.take(&DESCRIPTION),
        status: fields.take(&STATUS).into_value(),
        budget: fields.take(&BUDGET),
        deadline: fields.take(&DEADLINE),
    }
}

fn name() -> RefOr<Schema> {
    trimmed("Trimmed, 1 to 200 characters.", 1, ProjectName::MAX_CHARS)
        .examples(["Apollo"])
        .into()
}

fn description_builder() -> ObjectBuilder {
    trimmed(
        "Trimmed, at most 5000 characters, may be empty.",
        0,
        Description::MAX_CHARS,
    )
    .examples(["Landing on the moon"])
}

fn description() -> RefOr<Schema> {
    description_builder().into()
}

fn description_or_null() -> RefOr<Schema> {
    nullable(description_builder(), Type::String).into()
}

/// `active`, `completed` or `archived`.
pub(crate) fn status() -> RefOr<Schema> {
    text("A project's status.")
        .enum_values(Some(ProjectStatus::ALL.map(ProjectStatus::as_str)))
        .examples(["active"])
        .into()
}

/// A budget as a JSON number, or `null` for none.
pub(super) fn budget_or_null() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(
            [Type::Number, Type::Null]
                .into_iter()
                .collect::<SchemaType>(),
        )
        .description(Some(
            "Greater than 0, at most 9999999999.99, with at most 2 decimal places (a number \
             whose shortest decimal form has more, such as 0.30000000000000004, is refused).",
        ))
        .exclusive_minimum(Some(0))
        .maximum(Some(Budget::MAX_CENTS as f64 / 100.0))
        .examples([12500.5])
        .into()
}

/// A budget in a form: its decimal text (white space around it is
/// ignored), or empty for none.
fn budget_text() -> RefOr<Schema> {
    let space = format!("[{WHITE_SPACE}]*");
    text(
        "Empty for none, or a decimal greater than 0, at most 9999999999.99, with at most 2 \
         decimal places.",
    )
    .pattern(Some(format!(
        "^$|^{space}\\+?(?=[0-9.]*[1-9])0*[0-9]{{1,10}}(?:\\.[0-9]{{1,2}}0*)?{space}$"
    )))
    .examples(["12500.50"])
    .into()
}

/// A deadline as sent: a date, an RFC 3339 date-time, or `null` (none).
fn deadline_or_null() -> RefOr<Schema> {
    date_or_date_time(AnyOfBuilder::new())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some("Strictly after today (UTC)."))
        .into()
}

/// A deadline in a form: a date, an RFC 3339 date-time, or empty for none.
fn deadline_text() -> RefOr<Schema> {
    date_or_date_time(AnyOfBuilder::new().item(text("None.").max_length(Some(0))))
        .description(Some("Strictly after today (UTC)."))
        .into()
}

/// Reads a budget from the digits of a JSON number or a form value.
pub(super) fn budget(raw: &str) -> Result<Budget, &'static str> {
    Budget::parse(&plain_decimal(raw))
}

/// Writes a number in exponent notation (`1.5e3`, valid JSON) as a plain
/// decimal (`1500`), moving the point instead of computing, so that it
/// stays exact. Anything else comes back as it was. Exponents are clamped
/// to ±400, far past any budget, so that `1e999999` costs nothing.
pub(super) fn plain_decimal(raw: &str) -> Cow<'_, str> {
    let raw = raw.trim();
    let Some((mantissa, exponent)) = raw.split_once(['e', 'E']) else {
        return Cow::Borrowed(raw);
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return Cow::Borrowed(raw);
    };
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return Cow::Borrowed(raw);
    }
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i64 + i64::from(exponent.clamp(-400, 400));
    Cow::Owned(match usize::try_from(point) {
        Ok(point) if point >= digits.len() => {
            format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
        }
        Ok(point) if point > 0 => format!("{sign}{}.{}", &digits[..point], &digits[point..]),
        _ => format!(
            "{sign}0.{}{digits}",
            "0".repeat(point.unsigned_abs() as usize)
        ),
    })
}
