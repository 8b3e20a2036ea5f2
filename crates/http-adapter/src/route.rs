//! Which route a request is for, as the router sees it.
//!
//! The router matches the *percent-decoded* path (`/%61pi/login` is
//! `/api/login`), while `req.path()` is the raw one. Everything that decides
//! or reports by route — the rate limits, the metrics, the access log — asks
//! [`Route::of`], which matches the decoded path against the app's routes
//! once per request, so that every spelling that reaches a handler is
//! limited, counted and logged as that handler's route.

use actix_web::{HttpMessage, dev::ServiceRequest};
use std::rc::Rc;

/// The label of a request no route matches.
pub const UNMATCHED: &str = "unmatched";

/// The route template a request matches (`/api/projects/{id}`), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route(Option<Rc<str>>);

impl Route {
    /// The route of `req`, worked out on first use and kept with the request.
    pub fn of(req: &ServiceRequest) -> Route {
        if let Some(route) = req.extensions().get::<Route>() {
            return route.clone();
        }
        let route = Route(
            req.resource_map()
                .match_pattern(decoded_path(req))
                .map(Rc::from),
        );
        req.extensions_mut().insert(route.clone());
        route
    }

    /// The template, `None` when no route matches.
    pub fn template(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The template, or [`UNMATCHED`].
    pub fn label(&self) -> &str {
        self.template().unwrap_or(UNMATCHED)
    }
}

/// The path as the router matches it: percent-escapes of characters that
/// need none decoded (`%2F` and `%25` stay escaped, as the router keeps them).
pub fn decoded_path(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}
