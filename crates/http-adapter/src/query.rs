//! Query strings of the listings: `page`, `limit` and (for projects)
//! `status`, `sort`, `q` and `cursor`. Every bad parameter is reported at
//! once as a 400 with details; unknown parameters are ignored; a repeated
//! one counts once, its last value.

use crate::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};
use std::collections::HashMap;
use trellis_domain::{PageRequest, ProjectSort, SearchQuery, StatusSet, Violation, Violations};
use trellis_ports::{ListingWindow, ProjectListing};
use utoipa::{
    IntoParams,
    openapi::{
        ArrayBuilder, ObjectBuilder, Type,
        path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle},
    },
};

/// `?page=&limit=`: page from 1 (default 1), limit 1..100 (default 20;
/// larger is clamped to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery(pub PageRequest);

/// `?page=&limit=&status=&sort=&q=&cursor=` of the project listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectQuery(pub ProjectListing);

impl FromRequest for PageQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let params = Params::of(req.query_string());
        ready(params.page().map(PageQuery).map_err(ApiError::Validation))
    }
}

impl FromRequest for ProjectQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let params = Params::of(req.query_string());
        ready(
            params
                .listing()
                .map(ProjectQuery)
                .map_err(ApiError::Validation),
        )
    }
}

/// `page` and `limit`, as documented. Neither has a maximum a client must
/// respect: a `limit` above 100 is served as 100, not refused.
impl IntoParams for PageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let count = |name: &str, description: &str, default: u32| {
            let schema = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(u32::MAX))
                .default(Some(default.into()));
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        vec![
            count("page", "The page, from 1.", 1),
            count(
                "limit",
                "Items per page, 1 to 100; a larger value is served as 100.",
                PageRequest::DEFAULT_LIMIT,
            ),
        ]
    }
}

/// `page`, `limit`, `status`, `sort`, `q` and `cursor`, as documented.
impl IntoParams for ProjectQuery {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let param = |name: &str, description: &str, schema: ObjectBuilder| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .description(Some(description))
                .schema(Some(schema.schema_type(Type::String)))
                .build()
        };
        let sorts: Vec<String> = ProjectSort::all().map(|sort| sort.to_string()).collect();
        let mut params = PageQuery::into_params(parameter_in);
        params.extend([
            // A comma-separated list: OpenAPI's form style, not exploded.
            ParameterBuilder::new()
                .name("status")
                .parameter_in(ParameterIn::Query)
                .description(Some(
                    "Only projects with one of these statuses, separated by commas.",
                ))
                .style(Some(ParameterStyle::Form))
                .explode(Some(false))
                .schema(Some(
                    ArrayBuilder::new()
                        .items(crate::dto::status_schema())
                        .min_items(Some(1)),
                ))
                .build(),
            param(
                "sort",
                "The order: a key, ascending, or descending with a leading `-`. Ties are \
                 broken by `id` in the same direction; projects without a `deadline` or \
                 `budget` come last either way; `name` ignores case.",
                ObjectBuilder::new()
                    .enum_values(Some(sorts))
                    .default(Some("-created_at".into())),
            ),
            param(
                "q",
                "Only projects where every white-space-separated term occurs, ignoring \
                 case, in the name or the description.",
                ObjectBuilder::new()
                    .min_length(Some(1))
                    .max_length(Some(SearchQuery::MAX_CHARS))
                    .pattern(Some("\\S")),
            ),
            param(
                "cursor",
                "A `next_cursor` of an earlier answer: the page after it (not with `page`).",
                ObjectBuilder::new(),
            ),
        ]);
        params
    }
}

/// Decoded query parameters.
struct Params(HashMap<String, String>);

impl Params {
    fn of(query: &str) -> Self {
        Self(
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .unwrap_or_default()
                .into_iter()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn page(&self) -> Result<PageRequest, Vec<Violation>> {
        PageRequest::parse(self.get("page"), self.get("limit"))
    }

    /// The project listing's parameters; with a `cursor`, `limit` keeps its
    /// rule and `page` has no place.
    fn listing(&self) -> Result<ProjectListing, Vec<Violation>> {
        let mut report = Violations::default();
        let window = match self.get("cursor") {
            None => self.page().map(ListingWindow::Page),
            Some(cursor) => {
                let limit = PageRequest::parse(None, self.get("limit"));
                let mut violations = limit.clone().err().unwrap_or_default();
                if self.get("page").is_some() {
                    violations.insert(0, Violation::new("page", "cannot be combined with cursor"));
                }
                match limit {
                    Ok(request) if violations.is_empty() => Ok(ListingWindow::After {
                        cursor: cursor.to_owned(),
                        limit: request.limit(),
                    }),
                    _ => Err(violations),
                }
            }
        };
        let window = window.map_err(|violations| {
            for violation in violations {
                report.push(violation.field, violation.message);
            }
        });
        let statuses = self.get("status").map(StatusSet::parse).transpose();
        let statuses = report.check("status", statuses);
        let sort = report.check("sort", self.get("sort").map(ProjectSort::parse).transpose());
        let search = report.check("q", self.get("q").map(SearchQuery::parse).transpose());
        match (window, statuses, sort, search) {
            (Ok(window), Some(statuses), Some(sort), Some(search)) => {
                report.into_result(ProjectListing {
                    sort,
                    statuses,
                    search,
                    window,
                })
            }
            _ => Err(report.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    async fn projects(query: &str) -> Result<ProjectQuery, Vec<String>> {
        let req = TestRequest::with_uri(&format!("/api/projects?{query}")).to_http_request();
        ProjectQuery::extract(&req)
            .await
            .map_err(|error| match error {
                ApiError::Validation(v) => v.iter().map(ToString::to_string).collect(),
                other => panic!("{other:?}"),
            })
    }

    fn page_of(query: &ProjectQuery) -> PageRequest {
        match query.0.window {
            ListingWindow::Page(page) => page,
            ListingWindow::After { .. } => panic!("not a page: {query:?}"),
        }
    }

    #[actix_web::test]
    async fn defaults_and_clamping() {
        let query = projects("").await.unwrap();
        assert_eq!((page_of(&query).page(), page_of(&query).limit()), (1, 20));
        assert_eq!(
            (query.0.statuses, query.0.sort, query.0.search),
            (None, None, None)
        );
        let query = projects("page=3&limit=1000&status=archived,active&x=y&sort=-budget&q=a%20b")
            .await
            .unwrap();
        assert_eq!((page_of(&query).page(), page_of(&query).limit()), (3, 100));
        assert_eq!(query.0.statuses, StatusSet::parse("active,archived").ok());
        assert_eq!(query.0.sort, ProjectSort::parse("-budget").ok());
        assert_eq!(query.0.search, SearchQuery::parse("a b").ok());
    }

    #[actix_web::test]
    async fn every_bad_parameter_is_reported() {
        let details = projects("page=0&limit=-1&status=done").await.unwrap_err();
        assert_eq!(details.len(), 3, "{details:?}");
        assert!(details[0].starts_with("page: "));
        assert!(details[1].starts_with("limit: "));
        assert_eq!(
            details[2],
            "status: must be one of: active, completed, archived"
        );
        assert_eq!(projects("limit=abc").await.unwrap_err().len(), 1);
        assert_eq!(projects("status=").await.unwrap_err().len(), 1);
        let details = projects("cursor=abc&page=2&limit=0&status=active,&sort=id&q=%20")
            .await
            .unwrap_err();
        let fields: Vec<_> = details
            .iter()
            .map(|d| d.split(':').next().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["page", "limit", "status", "sort", "q"],
            "{details:?}"
        );
        assert_eq!(details[0], "page: cannot be combined with cursor");
    }

    #[actix_web::test]
    async fn a_cursor_takes_a_limit() {
        let query = projects("cursor=abc&limit=500").await.unwrap();
        assert_eq!(
            query.0.window,
            ListingWindow::After {
                cursor: "abc".into(),
                limit: 100
            }
        );
    }

    #[actix_web::test]
    async fn the_user_listing_has_no_status() {
        let req = TestRequest::with_uri("/api/users?status=whatever&limit=5").to_http_request();
        let PageQuery(page) = PageQuery::extract(&req).await.unwrap();
        assert_eq!(page.limit(), 5);
    }
}
