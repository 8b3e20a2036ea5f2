//! Query strings of the listings: `page`, `limit` and (for projects)
//! `status`. Every bad parameter is reported at once as a 400 with
//! details; unknown parameters are ignored; a repeated one counts once,
//! its last value.

use crate::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};
use std::collections::HashMap;
use trellis_domain::{PageRequest, ProjectStatus, Violation};
use utoipa::{
    IntoParams,
    openapi::{
        ObjectBuilder, Type,
        path::{Parameter, ParameterBuilder, ParameterIn},
    },
};

/// `?page=&limit=`: page from 1 (default 1), limit 1..100 (default 20;
/// larger is clamped to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery(pub PageRequest);

/// `?page=&limit=&status=` of the project listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectQuery {
    /// Which page.
    pub page: PageRequest,
    /// Only projects with this status, if given.
    pub status: Option<ProjectStatus>,
}

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
        let page = params.page();
        let status = params.get("status").map(str::parse).transpose();
        ready(match (page, status) {
            (Ok(page), Ok(status)) => Ok(ProjectQuery { page, status }),
            (page, status) => {
                let mut violations = page.err().unwrap_or_default();
                if let Err(message) = status {
                    violations.push(Violation::new("status", message));
                }
                Err(ApiError::Validation(violations))
            }
        })
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

/// `page`, `limit` and `status`, as documented.
impl IntoParams for ProjectQuery {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = PageQuery::into_params(parameter_in);
        params.push(
            ParameterBuilder::new()
                .name("status")
                .parameter_in(ParameterIn::Query)
                .description(Some("Only projects with this status."))
                .schema(Some(crate::dto::status_schema()))
                .build(),
        );
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

    #[actix_web::test]
    async fn defaults_and_clamping() {
        let query = projects("").await.unwrap();
        assert_eq!(
            (query.page.page(), query.page.limit(), query.status),
            (1, 20, None)
        );
        let query = projects("page=3&limit=1000&status=archived&x=y")
            .await
            .unwrap();
        assert_eq!(query.page.page(), 3);
        assert_eq!(query.page.limit(), 100);
        assert_eq!(query.status, Some(ProjectStatus::Archived));
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
    }

    #[actix_web::test]
    async fn the_user_listing_has_no_status() {
        let req = TestRequest::with_uri("/api/users?status=whatever&limit=5").to_http_request();
        let PageQuery(page) = PageQuery::extract(&req).await.unwrap();
        assert_eq!(page.limit(), 5);
    }
}
