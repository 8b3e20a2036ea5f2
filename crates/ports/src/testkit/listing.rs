//! The contract of the listing: every sort, keyset pages, search and
//! several statuses, on [`ProjectRepository::page`](crate::ProjectRepository::page)
//! and [`ProjectRepository::page_after`](crate::ProjectRepository::page_after).

use super::{Repos, deadline, everything, project_named, user};
use std::cmp::Ordering;
use trellis_domain::{
    Budget, Description, PageRequest, Project, ProjectFilter, ProjectSort, ProjectStatus,
    SearchQuery, StatusSet, UserId,
};

/// A project's fields: name, budget, deadline in days, status, description.
type Row = (
    &'static str,
    Option<&'static str>,
    Option<i64>,
    ProjectStatus,
    Option<&'static str>,
);

/// Ada's projects with equal names in other cases, equal and missing
/// budgets and deadlines, and one of another owner.
async fn varied(repos: &Repos) -> (UserId, Vec<Project>) {
    let ada = user(repos, "ada@example.com").await;
    let eve = user(repos, "eve@example.com").await;
    repos
        .projects
        .create(eve.id, project_named("Eve's"))
        .await
        .unwrap();
    // (name, budget, deadline in days, status, description)
    let rows: [Row; 9] = [
        (
            "alpha",
            Some("10.00"),
            Some(30),
            ProjectStatus::Active,
            Some("Moon landing"),
        ),
        ("ALPHA", Some("10.00"), None, ProjectStatus::Completed, None),
        (
            "beta",
            None,
            Some(30),
            ProjectStatus::Archived,
            Some("moonshot, 50% done"),
        ),
        (
            "Gamma",
            Some("2.50"),
            Some(10),
            ProjectStatus::Active,
            Some("under_score"),
        ),
        ("delta", None, None, ProjectStatus::Active, Some("Mars")),
        (
            "Épsilon",
            Some("99.99"),
            Some(20),
            ProjectStatus::Completed,
            None,
        ),
        ("zeta moon", None, Some(10), ProjectStatus::Active, None),
        (
            "eta",
            Some("10.00"),
            None,
            ProjectStatus::Archived,
            Some("LANDING gear"),
        ),
        (
            "theta",
            None,
            None,
            ProjectStatus::Completed,
            Some("50 percent"),
        ),
    ];
    let mut created = Vec::new();
    for (name, budget, days, status, description) in rows {
        let mut new = project_named(name);
        new.budget = budget.map(|b| Budget::parse(b).unwrap());
        new.deadline = days.map(deadline);
        new.status = status;
        new.description = description.map(|d| Description::parse(d).unwrap());
        created.push(repos.projects.create(ada.id, new).await.unwrap());
    }
    (ada.id, created)
}

/// `projects` as `filter` and `sort` list them, by the domain's rules.
fn expected(projects: &[Project], filter: &ProjectFilter, sort: ProjectSort) -> Vec<Project> {
    let mut shown: Vec<Project> = projects
        .iter()
        .filter(|p| filter.matches(p))
        .cloned()
        .collect();
    shown.sort_by(|a, b| sort.compare(&sort.position_of(a), &sort.position_of(b)));
    shown
}

fn names(projects: &[Project]) -> Vec<&str> {
    projects.iter().map(|p| p.name.as_str()).collect()
}

/// Every sort, both ways: ties by id in the same direction, projects
/// without a value last, names ignoring case; totals unchanged by order.
pub async fn every_sort_orders_with_ties_and_nulls_last(repos: Repos) {
    let (ada, created) = varied(&repos).await;
    for sort in ProjectSort::all() {
        let page = repos
            .projects
            .page(ada, &everything(), sort, PageRequest::new(1, 100).unwrap())
            .await
            .unwrap();
        assert_eq!(page.total, 9, "{sort}");
        let want = expected(&created, &everything(), sort);
        assert_eq!(names(&page.items), names(&want), "{sort}");
        for pair in page.items.windows(2) {
            let (a, b) = (sort.position_of(&pair[0]), sort.position_of(&pair[1]));
            assert_eq!(sort.compare(&a, &b), Ordering::Less, "{sort}: {a:?} {b:?}");
        }
    }
    // Spot checks of the rules themselves.
    let by = |raw: &str| ProjectSort::parse(raw).unwrap();
    let listed = |sort| expected(&created, &everything(), sort);
    assert_eq!(names(&listed(by("budget")))[0], "Gamma");
    assert!(
        listed(by("-budget"))
            .iter()
            .rev()
            .take(4)
            .all(|p| p.budget.is_none())
    );
    assert!(
        listed(by("deadline"))
            .iter()
            .rev()
            .take(4)
            .all(|p| p.deadline.is_none())
    );
    // Byte order of the lower-cased names: "é" after "z".
    assert_eq!(names(&listed(by("-name")))[..2], ["Épsilon", "zeta moon"]);
    assert_eq!(
        names(&listed(by("name")))[..2]
            .iter()
            .map(|n| n.to_lowercase())
            .collect::<Vec<_>>(),
        ["alpha", "alpha"]
    );
}

/// Walking keyset pages of every size from the first offset page lists
/// exactly what one big offset page lists, in every sort.
pub async fn keyset_pages_continue_exactly_where_the_last_stopped(repos: Repos) {
    let (ada, created) = varied(&repos).await;
    for sort in ProjectSort::all() {
        let want = expected(&created, &everything(), sort);
        for limit in [1, 2, 4] {
            let first = repos
                .projects
                .page(
                    ada,
                    &everything(),
                    sort,
                    PageRequest::new(1, limit).unwrap(),
                )
                .await
                .unwrap();
            let mut walked = first.items;
            loop {
                let last = sort.position_of(walked.last().unwrap());
                let next = repos
                    .projects
                    .page_after(ada, &everything(), sort, &last, limit)
                    .await
                    .unwrap();
                assert!(next.len() <= limit as usize);
                if next.is_empty() {
                    break;
                }
                walked.extend(next);
            }
            assert_eq!(names(&walked), names(&want), "{sort} by {limit}");
        }
    }
}

/// `q` needs every term in the name or the description, ignoring case,
/// with `%` and `_` literal; several statuses; both kinds of page.
pub async fn search_and_statuses_filter_pages_and_keyset_pages(repos: Repos) {
    let (ada, created) = varied(&repos).await;
    let filter = |statuses: &str, q: Option<&str>| ProjectFilter {
        statuses: StatusSet::parse(statuses).unwrap(),
        search: q.map(|q| SearchQuery::parse(q).unwrap()),
    };
    let all = "active,completed,archived";
    let cases = [
        (
            filter(all, Some("MOON")),
            vec!["alpha", "beta", "zeta moon"],
        ),
        (filter(all, Some("moon landing")), vec!["alpha"]),
        (filter(all, Some("landing")), vec!["alpha", "eta"]),
        (filter(all, Some("50%")), vec!["beta"]),
        (filter(all, Some("a_p")), vec![]),
        (filter(all, Some("_")), vec!["Gamma"]),
        (filter(all, Some("épsilon")), vec!["Épsilon"]),
        (
            filter("active,archived", Some("moon")),
            vec!["alpha", "beta", "zeta moon"],
        ),
        (
            filter("completed,archived", None),
            vec!["ALPHA", "beta", "Épsilon", "eta", "theta"],
        ),
        (filter("archived", Some("moon")), vec!["beta"]),
    ];
    let sort = ProjectSort::parse("name").unwrap();
    for (filter, mut want) in cases {
        let page = repos
            .projects
            .page(ada, &filter, sort, PageRequest::new(1, 100).unwrap())
            .await
            .unwrap();
        let expected_names = names(&expected(&created, &filter, sort)).join(",");
        want.sort_by_key(|n| n.to_lowercase());
        assert_eq!(names(&page.items).join(","), expected_names, "{filter:?}");
        let mut got: Vec<&str> = names(&page.items);
        got.sort_by_key(|n| n.to_lowercase());
        assert_eq!(got, want, "{filter:?}");
        assert_eq!(page.total, want.len() as u64, "{filter:?}");
        if let Some(first) = page.items.first() {
            let rest = repos
                .projects
                .page_after(ada, &filter, sort, &sort.position_of(first), 100)
                .await
                .unwrap();
            assert_eq!(names(&rest), names(&page.items)[1..], "{filter:?}");
        }
    }
}
