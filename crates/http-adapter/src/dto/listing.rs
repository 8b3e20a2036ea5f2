//! The project listing on the wire: an offset page (`{"data", "total",
//! "page", "limit", "totalPages", "next_cursor"}`) or a cursor page
//! (`{"data", "limit", "next_cursor"}`), both the document's `ProjectPage`.

use super::{PageView, ProjectView, page::page_properties};
use serde::Serialize;
use std::borrow::Cow;
use trellis_ports::ProjectList;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type, schema::SchemaType},
};

/// What `GET /api/projects` answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ProjectPage {
    /// An offset page.
    Page {
        /// The counted page.
        #[serde(flatten)]
        page: PageView<ProjectView>,
        /// Continues after this page; null on the last one.
        next_cursor: Option<String>,
    },
    /// A cursor page.
    After {
        /// The items.
        data: Vec<ProjectView>,
        /// Items per page.
        limit: u32,
        /// Continues after this page; null on the last one.
        next_cursor: Option<String>,
    },
}

impl From<ProjectList> for ProjectPage {
    fn from(list: ProjectList) -> Self {
        match list {
            ProjectList::Page { page, next_cursor } => Self::Page {
                page: page.into(),
                next_cursor,
            },
            ProjectList::After {
                items,
                limit,
                next_cursor,
            } => Self::After {
                data: items.into_iter().map(ProjectView::from).collect(),
                limit,
                next_cursor,
            },
        }
    }
}

/// One schema for both: `total`, `page` and `totalPages` are there on
/// offset pages only.
impl PartialSchema for ProjectPage {
    fn schema() -> RefOr<Schema> {
        page_properties(&ProjectView::name())
            .description(Some(
                "A page of projects. An offset page (no `cursor` asked) also has `total`, \
                 `page` and `totalPages`; a cursor page has only `data`, `limit` and \
                 `next_cursor`.",
            ))
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(
                        [Type::String, Type::Null]
                            .into_iter()
                            .collect::<SchemaType>(),
                    )
                    .description(Some(
                        "Pass as `cursor` for the page after this one; null on the last page.",
                    )),
            )
            .required("data")
            .required("limit")
            .required("next_cursor")
            .into()
    }
}

impl ToSchema for ProjectPage {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ProjectPage")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ProjectView::name().into_owned(), ProjectView::schema()));
        ProjectView::schemas(schemas);
    }
}
