//! Pages of a listing.

use crate::{Violation, Violations};

/// Which slice of a listing a client asked for: page `page` (from 1) of
/// `limit` items (1 to 100).
///
/// ```
/// use trellis_domain::PageRequest;
///
/// let request = PageRequest::parse(Some("3"), Some("500")).unwrap();
/// assert_eq!((request.page(), request.limit(), request.offset()), (3, 100, 200));
/// assert!(PageRequest::parse(Some("0"), Some("-1")).unwrap_err().len() == 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    limit: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

impl PageRequest {
    /// Items per page when the client does not say.
    pub const DEFAULT_LIMIT: u32 = 20;
    /// Most items per page; a larger `limit` is clamped to it.
    pub const MAX_LIMIT: u32 = 100;

    /// A request for `page` of `limit` items, both already in range
    /// (`limit` is clamped to [`Self::MAX_LIMIT`]).
    pub fn new(page: u32, limit: u32) -> Result<Self, Vec<Violation>> {
        let mut report = Violations::default();
        if page == 0 {
            report.push("page", "must be an integer of at least 1");
        }
        if limit == 0 {
            report.push("limit", "must be an integer of at least 1");
        }
        report.into_result(Self {
            page,
            limit: limit.min(Self::MAX_LIMIT),
        })
    }

    /// Parses the `page` and `limit` query parameters; absent ones take
    /// their defaults. Anything but a whole number in range is reported.
    pub fn parse(page: Option<&str>, limit: Option<&str>) -> Result<Self, Vec<Violation>> {
        let mut report = Violations::default();
        let page = report.check("page", parse_count(page, 1, u32::MAX));
        let limit = report.check("limit", parse_count(limit, Self::DEFAULT_LIMIT, u32::MAX));
        match (page, limit) {
            (Some(page), Some(limit)) => report.into_result(Self {
                page,
                limit: limit.min(Self::MAX_LIMIT),
            }),
            _ => report.into_result(Self::default()),
        }
    }

    /// The page number, from 1.
    pub fn page(self) -> u32 {
        self.page
    }

    /// Items per page, 1 to 100.
    pub fn limit(self) -> u32 {
        self.limit
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }
}

/// A count given in a query string: absent means `default`; otherwise a
/// whole number from 1 to `max`.
fn parse_count(raw: Option<&str>, default: u32, max: u32) -> Result<u32, String> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.parse::<i128>() {
        Ok(n) if n >= 1 && n <= i128::from(max) => Ok(n as u32),
        Ok(n) if n > i128::from(max) => Err(format!("must be an integer between 1 and {max}")),
        _ => Err("must be an integer of at least 1".to_owned()),
    }
}

/// One page of a listing, with what a client needs to fetch the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, at most `limit` of them.
    pub items: Vec<T>,
    /// How many items the whole listing has.
    pub total: u64,
    /// The request this page answers.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// How many pages the listing has (0 when it is empty).
    pub fn total_pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.request.limit()))
    }

    /// The same page with every item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            request: self.request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_absent() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest::default()
        );
    }

    #[test]
    fn clamps_large_limits() {
        assert_eq!(PageRequest::parse(None, Some("101")).unwrap().limit(), 100);
        assert_eq!(
            PageRequest::parse(None, Some("99999999999999")).unwrap_err()[0].field,
            "limit"
        );
    }

    #[test]
    fn reports_every_bad_parameter() {
        for (page, limit) in [("0", "0"), ("-1", "-5"), ("abc", "1.5"), ("", " 3")] {
            let errors = PageRequest::parse(Some(page), Some(limit)).unwrap_err();
            let fields: Vec<_> = errors.iter().map(|v| v.field).collect();
            assert_eq!(fields, ["page", "limit"], "{page} {limit}");
        }
    }

    #[test]
    fn counts_pages() {
        let request = PageRequest::new(1, 20).unwrap();
        let page = |total| Page::<()> {
            items: vec![],
            total,
            request,
        };
        assert_eq!(page(0).total_pages(), 0);
        assert_eq!(page(20).total_pages(), 1);
        assert_eq!(page(57).total_pages(), 3);
    }
}
