//! The fields of a body, JSON or form alike, read one by one into domain
//! values while every failure is recorded.

use super::{Field, Kind};
use crate::ApiError;
use serde_json::value::RawValue;
use std::collections::HashMap;
use trellis_domain::{Change, Draft, Violation, Violations};

/// One field's value as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// A JSON string, or any form value.
    Text(String),
    /// A JSON number, as written (so that `0.1` stays exactly `0.1`).
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// A JSON array or object.
    Compound,
}

impl Value {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't') => Self::Bool(true),
            Some(b'f') => Self::Bool(false),
            Some(b'"') => Self::Text(serde_json::from_str(text)?),
            Some(b'[' | b'{') => Self::Compound,
            _ => Self::Number(text.to_owned()),
        })
    }
}

impl Kind {
    /// The text to parse, or why the value is of the wrong type.
    ///
    /// Text with a NUL character is refused here, for every field: no
    /// field has a use for one, and PostgreSQL cannot store it in `text`.
    fn text(self, value: &Value, from_form: bool) -> Result<&str, &'static str> {
        match (self, value) {
            (_, Value::Text(text)) if text.contains('\0') => Err("must not contain NUL characters"),
            (Kind::Text, Value::Text(text)) | (Kind::Decimal, Value::Number(text)) => Ok(text),
            (Kind::Decimal, Value::Text(text)) if from_form => Ok(text),
            (Kind::Text, _) => Err("must be a string"),
            (Kind::Decimal, _) => Err("must be a number"),
        }
    }
}

/// The top-level fields of a body, and the violations found while reading
/// them. Fields no request type asks for are ignored.
///
/// In a **form** every value is text, and an empty value of a clearable
/// field (`description`, `budget`, `deadline`) means null: absent on
/// create, cleared on update. An empty value of any other field is checked
/// like any other text (an empty name "must not be empty").
#[derive(Debug, Default)]
pub struct Fields {
    values: HashMap<String, Value>,
    from_form: bool,
    report: Violations,
}

impl Fields {
    /// The fields of a JSON object. Syntax errors are `Invalid JSON`; valid
    /// JSON that is not an object is a validation error.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        let object: HashMap<String, &RawValue> =
            serde_json::from_slice(bytes).map_err(|error| match error.classify() {
                serde_json::error::Category::Data => {
                    ApiError::Validation(vec![Violation::new("body", "must be a JSON object")])
                }
                _ => ApiError::InvalidJson,
            })?;
        let values = object
            .into_iter()
            .map(|(name, raw)| Value::from_raw(raw).map(|value| (name, value)))
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::InvalidJson)?;
        Ok(Self {
            values,
            ..Self::default()
        })
    }

    /// The fields of an `application/x-www-form-urlencoded` body (the last
    /// of repeated names wins).
    pub fn from_form(bytes: &[u8]) -> Self {
        let values = form_pairs(bytes)
            .map(|(name, value)| (name, Value::Text(value)))
            .collect();
        Self {
            values,
            from_form: true,
            report: Violations::default(),
        }
    }

    /// A field that must be present and not null.
    pub fn require<T>(&mut self, field: &Field<T>) -> Option<T> {
        match self.take_raw(field.name) {
            None | Some(Value::Null) => {
                self.report.push(field.name, "is required");
                None
            }
            Some(value) => self.parse(field, &value),
        }
    }

    /// A field that may be absent: absent keeps it; `null` (or, in a form,
    /// an empty value) clears it if the field is clearable and is refused
    /// otherwise; a value sets it.
    pub fn take<T>(&mut self, field: &Field<T>) -> Change<T> {
        match self.take_raw(field.name) {
            None => Change::Keep,
            Some(Value::Text(text)) if self.from_form && text.is_empty() && field.clearable => {
                Change::Clear
            }
            Some(Value::Null) if field.clearable => Change::Clear,
            Some(Value::Null) => {
                self.report.push(field.name, "must not be null");
                Change::Keep
            }
            Some(value) => self.parse(field, &value).map_or(Change::Keep, Change::Set),
        }
    }

    /// Whether some field has failed so far.
    pub fn has_failed(&self) -> bool {
        !self.report.is_empty()
    }

    /// Records a violation that no single field's parser can see.
    pub fn violate(&mut self, name: &'static str, message: impl Into<String>) {
        self.report.push(name, message);
    }

    /// `Ok(value)` if nothing failed, else every violation recorded.
    ///
    /// `value` is `None` only when a field failed, which recorded why.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<Violation>> {
        match (self.report.into_result(()), value) {
            (Ok(()), Some(value)) => Ok(value),
            (Ok(()), None) => Err(Vec::new()),
            (Err(violations), _) => Err(violations),
        }
    }

    /// The fields read, and every violation recorded, for the service to
    /// finish against the rules it holds.
    pub fn into_draft<T>(self, fields: T) -> Draft<T> {
        Draft::new(fields, self.report)
    }

    fn take_raw(&mut self, name: &str) -> Option<Value> {
        self.values.remove(name)
    }

    fn parse<T>(&mut self, field: &Field<T>, value: &Value) -> Option<T> {
        let text = field.kind.text(value, self.from_form);
        self.report
            .check(field.name, text.and_then(|text| (field.parse)(text)))
    }
}

/// The name/value pairs of a form body, decoded.
fn form_pairs(bytes: &[u8]) -> impl Iterator<Item = (String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .unwrap_or_default()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::{ObjectBuilder, RefOr, Schema};

    fn any() -> RefOr<Schema> {
        ObjectBuilder::new().into()
    }

    fn text(raw: &str) -> Result<String, &'static str> {
        Ok(raw.to_owned())
    }

    const A: Field<String> = Field::new("a", Kind::Text, text, any, any);
    const B: Field<String> = Field::new("b", Kind::Text, text, any, any).clearable();
    const C: Field<String> = Field::new("c", Kind::Text, text, any, any).clearable();
    const D: Field<String> = Field::new("d", Kind::Text, text, any, any).clearable();

    fn json(body: &str) -> Fields {
        Fields::from_json(body.as_bytes()).unwrap()
    }

    #[test]
    fn json_values_keep_their_kind_and_exact_numbers() {
        let mut fields =
            json(r#" { "a" : "x\"y" , "b":0.10,"c" :null, "d": true,"e":[1],"f":{"g":1} } "#);
        assert_eq!(fields.take_raw("a"), Some(Value::Text("x\"y".into())));
        assert_eq!(fields.take_raw("b"), Some(Value::Number("0.10".into())));
        assert_eq!(fields.take_raw("c"), Some(Value::Null));
        assert_eq!(fields.take_raw("d"), Some(Value::Bool(true)));
        assert_eq!(fields.take_raw("e"), Some(Value::Compound));
        assert_eq!(fields.take_raw("f"), Some(Value::Compound));
        assert_eq!(fields.take_raw("z"), None);
    }

    #[test]
    fn syntax_errors_and_non_objects_are_told_apart() {
        for broken in ["{", "{\"a\":}", "nope", "{\"a\":1}x"] {
            assert!(
                matches!(
                    Fields::from_json(broken.as_bytes()),
                    Err(ApiError::InvalidJson)
                ),
                "{broken}"
            );
        }
        for not_object in ["[]", "\"x\"", "3", "null"] {
            match Fields::from_json(not_object.as_bytes()) {
                Err(ApiError::Validation(v)) => {
                    assert_eq!(v[0].to_string(), "body: must be a JSON object")
                }
                other => panic!("{not_object}: {other:?}"),
            }
        }
    }

    #[test]
    fn wrong_types_missing_and_null_fields_are_all_reported() {
        let mut fields = json(r#"{"a":5,"d":null}"#);
        assert_eq!(fields.require(&A), None);
        assert_eq!(fields.require(&B), None);
        const NOT_NULL: Field<String> = Field::new("d", Kind::Text, text, any, any);
        assert_eq!(fields.take(&NOT_NULL), Change::Keep);
        let details: Vec<String> = fields
            .finish(Some(()))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            details,
            [
                "a: must be a string",
                "b: is required",
                "d: must not be null"
            ]
        );
    }

    #[test]
    fn changes_keep_clear_and_set() {
        let mut fields = json(r#"{"b":null,"c":"x","d":""}"#);
        assert_eq!(fields.take(&A), Change::Keep);
        assert_eq!(fields.take(&B), Change::Clear);
        assert_eq!(fields.take(&C), Change::Set("x".into()));
        assert_eq!(fields.take(&D), Change::Set(String::new()));
        assert_eq!(fields.finish(Some(1)).unwrap(), 1);
    }

    #[test]
    fn forms_are_text_and_empty_clearable_values_clear() {
        let mut fields = Fields::from_form(b"a=&b=&c=A+B%21");
        assert_eq!(fields.take(&A), Change::Set(String::new()));
        assert_eq!(fields.take(&B), Change::Clear);
        assert_eq!(fields.require(&C).as_deref(), Some("A B!"));
    }
}
