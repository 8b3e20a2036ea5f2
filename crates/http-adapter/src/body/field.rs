//! A body's fields, each declared once: how it is read from JSON and from
//! forms, how its text becomes a domain value, and how the OpenAPI
//! document shows it. A [`Body`] lists the fields of one request body and
//! gives its schema; the reading itself is [`Fields`](super::Fields).

use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

/// What kind of value a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// A decimal: a JSON number (not a string), or a form value's text
    /// (forms can only send text).
    Decimal,
}

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`: every value is text.
    Form,
}

/// One field of a request body.
#[derive(Debug)]
pub struct Field<T> {
    /// The name clients send it under.
    pub name: &'static str,
    /// How its value is written.
    pub kind: Kind,
    /// Whether `null` (or, in a form, an empty value) means "none": absent
    /// on create, cleared on update. Otherwise `null` is refused.
    pub clearable: bool,
    /// The domain's parser of its text.
    pub parse: fn(&str) -> Result<T, &'static str>,
    /// The schema of its JSON value (`null` included when clearable).
    json: fn() -> RefOr<Schema>,
    /// The schema of its form value.
    form: fn() -> RefOr<Schema>,
}

impl<T> Field<T> {
    /// A field whose value is `kind`, parsed by `parse`, documented by
    /// `json` and, in forms, `form`.
    pub const fn new(
        name: &'static str,
        kind: Kind,
        parse: fn(&str) -> Result<T, &'static str>,
        json: fn() -> RefOr<Schema>,
        form: fn() -> RefOr<Schema>,
    ) -> Self {
        Self {
            name,
            kind,
            clearable: false,
            parse,
            json,
            form,
        }
    }

    /// The same field, which `null` (or an empty form value) clears.
    pub const fn clearable(self) -> Self {
        Self {
            clearable: true,
            ..self
        }
    }
}

/// A field as the document shows it, whatever its value's type.
pub trait Documented: Sync {
    /// The name clients send it under.
    fn name(&self) -> &'static str;
    /// Its schema in `format`.
    fn schema(&self, format: Format) -> RefOr<Schema>;
}

impl<T> Documented for Field<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn schema(&self, format: Format) -> RefOr<Schema> {
        match format {
            Format::Json => (self.json)(),
            Format::Form => (self.form)(),
        }
    }
}

/// The fields of one request body, in the order they are read and
/// reported, each required or not.
#[derive(Clone, Copy)]
pub struct Body {
    fields: &'static [(&'static dyn Documented, bool)],
    at_least_one: bool,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.fields.iter().map(|(field, _)| field.name()))
            .finish()
    }
}

impl Body {
    /// A body of these `(field, required)` pairs.
    pub const fn of(fields: &'static [(&'static dyn Documented, bool)]) -> Self {
        Self {
            fields,
            at_least_one: false,
        }
    }

    /// The same body, which must carry at least one field (an update).
    pub const fn at_least_one(self) -> Self {
        Self {
            at_least_one: true,
            ..self
        }
    }

    /// Its schema in `format`: an object of its fields (unknown fields are
    /// ignored, so none is forbidden), the required ones listed, and for an
    /// update `minProperties: 1`.
    pub fn schema(&self, format: Format) -> RefOr<Schema> {
        let object = self.fields.iter().fold(
            ObjectBuilder::new().schema_type(Type::Object),
            |object, (field, required)| {
                let object = object.property(field.name(), field.schema(format));
                if *required {
                    object.required(field.name())
                } else {
                    object
                }
            },
        );
        let object = if self.at_least_one {
            object.min_properties(Some(1))
        } else {
            object
        };
        object.into()
    }
}
