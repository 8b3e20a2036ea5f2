//! Validation failures, named by the field they concern.

use std::fmt;

/// One failed rule on one input field, e.g. `name: must not be empty`.
///
/// The `Display` form, `"<field>: <message>"`, is what API clients see in
/// the `details` list of a validation error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The input field, as the client named it (`"budget"`).
    pub field: &'static str,
    /// What is wrong with it, in plain words (`"must be greater than 0"`).
    pub message: String,
}

impl Violation {
    /// A violation of `field` explained by `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Collects every [`Violation`] of one input, so that a client learns about
/// all failing fields at once rather than one per round trip.
///
/// ```
/// use trellis_domain::{ProjectName, Violations};
///
/// let mut report = Violations::default();
/// let name = report.check("name", ProjectName::parse("   "));
/// assert!(name.is_none());
/// assert_eq!(report.into_result(()).unwrap_err()[0].to_string(), "name: must not be empty");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records `message` against `field`.
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(Violation::new(field, message));
    }

    /// Keeps the value of `parsed`, or records its error against `field`.
    pub fn check<T, E: fmt::Display>(
        &mut self,
        field: &'static str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        parsed.map_err(|e| self.push(field, e.to_string())).ok()
    }

    /// Whether nothing has failed so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` has failed.
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|violation| violation.field == field)
    }

    /// Every violation recorded, in order.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }

    /// `Ok(value)` when nothing failed, otherwise every violation recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<Violation>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

impl From<Vec<Violation>> for Violations {
    fn from(violations: Vec<Violation>) -> Self {
        Self(violations)
    }
}
