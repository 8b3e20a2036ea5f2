//! What a client asks of the project listing, and what it gets back.

use trellis_domain::{Page, PageRequest, Project, ProjectSort, SearchQuery, StatusSet};

/// A request for a page of the caller's projects. The order and filters
/// that are `None` were not given: the defaults apply, or, after a cursor,
/// the cursor's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectListing {
    /// `sort`.
    pub sort: Option<ProjectSort>,
    /// `status`.
    pub statuses: Option<StatusSet>,
    /// `q`.
    pub search: Option<SearchQuery>,
    /// Which slice.
    pub window: ListingWindow,
}

/// Which slice of a listing: a numbered page, or what follows a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingWindow {
    /// `page` and `limit`: an offset page, counted.
    Page(PageRequest),
    /// `cursor` and `limit`: a keyset page, not counted.
    After {
        /// The `next_cursor` of an earlier answer, as the client sent it.
        cursor: String,
        /// Items per page (1 to 100).
        limit: u32,
    },
}

/// A page of the caller's projects, and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectList {
    /// An offset page, with the total.
    Page {
        /// The page.
        page: Page<Project>,
        /// Continues after this page's last item; `None` on the last page.
        next_cursor: Option<String>,
    },
    /// A keyset page.
    After {
        /// Its items, at most `limit`.
        items: Vec<Project>,
        /// The limit it was asked with.
        limit: u32,
        /// Continues after this page's last item; `None` on the last page.
        next_cursor: Option<String>,
    },
}
