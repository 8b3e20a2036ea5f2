//! One page of a listing on the wire.

use serde::Serialize;
use trellis_domain::Page;
use utoipa::ToSchema;

/// `{"data", "total", "page", "limit", "totalPages"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items the whole listing has.
    pub total: u64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page (1 to 100).
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    /// How many pages the listing has.
    #[serde(rename = "totalPages")]
    pub total_pages: u64,
}

impl<D, T: From<D>> From<Page<D>> for PageView<T> {
    fn from(page: Page<D>) -> Self {
        Self {
            total: page.total,
            page: page.request.page(),
            limit: page.request.limit(),
            total_pages: page.total_pages(),
            data: page.items.into_iter().map(T::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_domain::PageRequest;

    #[test]
    fn renders_the_old_services_field_names() {
        let page = Page {
            items: vec![1, 2],
            total: 41,
            request: PageRequest::new(2, 20).unwrap(),
        };
        let view: PageView<i64> = page.into();
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            serde_json::json!({"data": [1, 2], "total": 41, "page": 2, "limit": 20, "totalPages": 3})
        );
    }
}
