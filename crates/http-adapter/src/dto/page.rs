//! One page of a listing on the wire.

use serde::Serialize;
use std::borrow::Cow;
use trellis_domain::Page;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ArrayBuilder, ObjectBuilder, Ref, RefOr, Schema, Type},
};

/// `{"data", "total", "page", "limit", "totalPages"}`.
///
/// In the document it is `<Item>Page`, its items a reference to the one
/// component of `T` (`ProjectPage` lists `Project`s), so that a generated
/// client has one type per resource.
#[derive(Debug, Serialize)]
pub struct PageView<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items the whole listing has.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u32,
    /// Items per page (1 to 100).
    pub limit: u32,
    /// How many pages the listing has.
    #[serde(rename = "totalPages")]
    pub total_pages: u64,
}

/// A page of accounts (the document's `UserPage`).
pub type UserPage = PageView<super::UserView>;

/// The properties of a page of `item`s, none required yet.
pub(super) fn page_properties(item: &str) -> ObjectBuilder {
    let count = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .description(Some(description))
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "data",
            ArrayBuilder::new()
                .items(Ref::from_schema_name(item))
                .description(Some("The items of this page.")),
        )
        .property("total", count("How many items the whole listing has."))
        .property(
            "page",
            count("This page's number, from 1.").minimum(Some(1)),
        )
        .property(
            "limit",
            count("Items per page (1 to 100).")
                .minimum(Some(1))
                .maximum(Some(100)),
        )
        .property("totalPages", count("How many pages the listing has."))
}

impl<T: ToSchema> PartialSchema for PageView<T> {
    fn schema() -> RefOr<Schema> {
        page_properties(&T::name())
            .required("data")
            .required("total")
            .required("page")
            .required("limit")
            .required("totalPages")
            .into()
    }
}

impl<T: ToSchema> ToSchema for PageView<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Page", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
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
