//! Money set aside for a project, kept exact.

use std::fmt;

/// An amount of money greater than 0 with at most two decimals, at most
/// 9 999 999 999.99 (it fits `NUMERIC(12,2)`). Held as whole cents, so no
/// float rounding ever touches it.
///
/// ```
/// use trellis_domain::Budget;
///
/// assert_eq!(Budget::parse("0.3").unwrap().cents(), 30);
/// assert_eq!(Budget::from_f64(0.1 + 0.2), Err("must have at most 2 decimal places"));
/// assert_eq!(Budget::from_f64(12.5).unwrap().to_string(), "12.50");
/// assert!(Budget::parse("10000000000").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Budget(i64);

const TOO_PRECISE: &str = "must have at most 2 decimal places";
const NOT_POSITIVE: &str = "must be greater than 0";
const TOO_LARGE: &str = "must be at most 9999999999.99";
const NOT_A_NUMBER: &str = "must be a number";

impl Budget {
    /// The largest budget, in cents.
    pub const MAX_CENTS: i64 = 999_999_999_999;

    /// A budget of `cents` hundredths, if it is within range.
    pub fn from_cents(cents: i64) -> Result<Self, &'static str> {
        if cents <= 0 {
            Err(NOT_POSITIVE)
        } else if cents > Self::MAX_CENTS {
            Err(TOO_LARGE)
        } else {
            Ok(Self(cents))
        }
    }

    /// Parses a plain decimal such as `"1250"`, `"1250.5"` or `"-3"` exactly.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw.strip_prefix('+').unwrap_or(raw)),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(NOT_A_NUMBER);
        }
        if unsigned.ends_with('.') {
            return Err(NOT_A_NUMBER);
        }
        let significant = fraction.trim_end_matches('0');
        if significant.len() > 2 {
            return Err(TOO_PRECISE);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 10 {
            return Err(if negative { NOT_POSITIVE } else { TOO_LARGE });
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| NOT_A_NUMBER)?
        };
        let fraction: i64 = format!("{significant:0<2}")
            .parse()
            .map_err(|_| NOT_A_NUMBER)?;
        let cents = whole * 100 + fraction;
        Self::from_cents(if negative { -cents } else { cents })
    }

    /// Converts a JSON number. Its shortest decimal form (the one a client
    /// wrote, for any amount within range) must have at most two decimals.
    pub fn from_f64(value: f64) -> Result<Self, &'static str> {
        if !value.is_finite() {
            return Err(NOT_A_NUMBER);
        }
        if value <= 0.0 {
            return Err(NOT_POSITIVE);
        }
        if value >= 1e10 {
            return Err(TOO_LARGE);
        }
        // `Display` for f64 prints the shortest text that reads back as the
        // same value, without an exponent for this range.
        Self::parse(&value.to_string())
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// The amount as a float, for rendering as a JSON number. Exact in the
    /// sense that matters: its shortest decimal form is the stored amount.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Budget::parse("1").unwrap().cents(), 100);
        assert_eq!(Budget::parse("0.01").unwrap().cents(), 1);
        assert_eq!(Budget::parse("12.30").unwrap().cents(), 1230);
        assert_eq!(Budget::parse("12.300").unwrap().cents(), 1230);
        assert_eq!(
            Budget::parse("9999999999.99").unwrap().cents(),
            Budget::MAX_CENTS
        );
        assert_eq!(
            Budget::parse("0009999999999.99").unwrap().cents(),
            Budget::MAX_CENTS
        );
    }

    #[test]
    fn rejects_out_of_range_and_garbage() {
        assert_eq!(Budget::parse("0"), Err(NOT_POSITIVE));
        assert_eq!(Budget::parse("0.00"), Err(NOT_POSITIVE));
        assert_eq!(Budget::parse("-5"), Err(NOT_POSITIVE));
        assert_eq!(Budget::parse("-99999999999"), Err(NOT_POSITIVE));
        assert_eq!(Budget::parse("10000000000"), Err(TOO_LARGE));
        assert_eq!(Budget::parse("99999999999999999999999"), Err(TOO_LARGE));
        assert_eq!(Budget::parse("1.234"), Err(TOO_PRECISE));
        for garbage in ["", "abc", "1.2.3", ".5", "5.", "1e3", "0x10", "1,5", "--1"] {
            assert_eq!(Budget::parse(garbage), Err(NOT_A_NUMBER), "{garbage}");
        }
    }

    #[test]
    fn floats_keep_their_decimal_meaning() {
        assert_eq!(Budget::from_f64(0.1).unwrap().cents(), 10);
        assert_eq!(Budget::from_f64(1e3).unwrap().cents(), 100_000);
        assert_eq!(
            Budget::from_f64(9_999_999_999.99).unwrap().cents(),
            Budget::MAX_CENTS
        );
        assert_eq!(Budget::from_f64(10_000_000_000.0), Err(TOO_LARGE));
        assert_eq!(Budget::from_f64(1e300), Err(TOO_LARGE));
        assert_eq!(Budget::from_f64(-0.0), Err(NOT_POSITIVE));
        assert_eq!(Budget::from_f64(0.001), Err(TOO_PRECISE));
        assert_eq!(Budget::from_f64(1e-300), Err(TOO_PRECISE));
    }

    #[test]
    fn every_cent_amount_survives_the_float_round_trip() {
        for cents in (1..200_000).chain(Budget::MAX_CENTS - 100_000..=Budget::MAX_CENTS) {
            let budget = Budget::from_cents(cents).unwrap();
            assert_eq!(Budget::from_f64(budget.as_f64()), Ok(budget), "{cents}");
        }
    }
}
