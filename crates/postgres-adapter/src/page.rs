//! Pages of a listing in one round trip.
//!
//! The listing statements select the total from a `count(*)` subquery and
//! `LEFT JOIN LATERAL` the page onto it: every row carries the total, and a
//! page past the end still yields one row (total, then NULLs), so the total
//! is right without a second query. The page itself walks the
//! `(… created_at DESC, id)` index and stops after `limit` rows; only those
//! rows are sorted again by the outer `ORDER BY`, which guarantees the order
//! (a join does not).

use crate::failure;
use tokio_postgres::Row;
use trellis_domain::{Page, PageRequest};
use trellis_ports::RepositoryError;
use uuid::Uuid;

/// A [`PageRequest`] as the statements' `LIMIT` and `OFFSET` parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageWindow {
    /// Rows per page.
    pub(crate) limit: i64,
    /// Rows before this page.
    pub(crate) offset: i64,
    request: PageRequest,
}

impl PageWindow {
    /// The window of `request`.
    pub(crate) fn of(request: PageRequest) -> Self {
        Self {
            limit: i64::from(request.limit()),
            // At most (u32::MAX - 1) * 100: fits an i64.
            offset: i64::try_from(request.offset()).unwrap_or(i64::MAX),
            request,
        }
    }

    /// The page in `rows` (each holding `total` and, unless the page is
    /// empty, an item whose `id` is not NULL), items decoded by `decode`.
    pub(crate) fn collect<T>(
        self,
        rows: &[Row],
        decode: impl Fn(&Row) -> Result<T, RepositoryError>,
    ) -> Result<Page<T>, RepositoryError> {
        let total = match rows.first() {
            Some(row) => row
                .try_get::<_, i64>("total")
                .map_err(failure::from_query)?,
            None => return Err(failure::unexpected("page", "the count row is missing")),
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Option<Uuid> = row.try_get("id").map_err(failure::from_query)?;
            if id.is_some() {
                items.push(decode(row)?);
            }
        }
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or_default(),
            request: self.request,
        })
    }
}
