//! The listing statements' query plans on a user with 10,000 projects, for
//! every sort: an offset page walks the sort's index and stops after the
//! page (nothing sorts more than one page); a keyset page at any depth
//! reads about one page from the index; a search looks its longest term up
//! in the (owner-keyed) trigram index. Checked for the plans the server actually runs:
//! custom (first executions) and generic (later executions of the cached
//! prepared statement).

// Test support: a failed expectation should panic with the value in view.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::Value;
use support::user;
use tokio_postgres::Client;
use trellis_domain::{
    Direction, PageRequest, Position, ProjectFilter, ProjectSort, ProjectStatus, SearchQuery,
    SortKey, SortValue, StatusSet,
};
use trellis_ports::ProjectRepository;
use trellis_postgres::testkit::{TestDatabase, project_listing_sql};

const PROJECTS: i64 = 10_000;
const LIMIT: i64 = 20;
const MODES: [&str; 2] = ["force_custom_plan", "force_generic_plan"];

/// Every node of `plan`, each with the node types above it.
fn nodes<'a>(plan: &'a Value, above: &mut Vec<&'a str>, out: &mut Vec<(&'a Value, Vec<&'a str>)>) {
    out.push((plan, above.clone()));
    if let Some(children) = plan["Plans"].as_array() {
        above.push(plan["Node Type"].as_str().expect("every node has a type"));
        for child in children {
            nodes(child, above, out);
        }
        above.pop();
    }
}

/// The index each sort must walk.
fn index_of(sort: ProjectSort) -> &'static str {
    match (sort.key, sort.direction) {
        (SortKey::CreatedAt, _) => "projects_user_created_idx",
        (SortKey::UpdatedAt, _) => "projects_user_updated_idx",
        (SortKey::Name, _) => "projects_user_name_idx",
        (SortKey::Deadline, Direction::Ascending) => "projects_user_deadline_idx",
        (SortKey::Deadline, Direction::Descending) => "projects_user_deadline_desc_idx",
        (SortKey::Budget, Direction::Ascending) => "projects_user_budget_idx",
        (SortKey::Budget, Direction::Descending) => "projects_user_budget_desc_idx",
    }
}

fn value_type(key: SortKey) -> &'static str {
    match key {
        SortKey::CreatedAt | SortKey::UpdatedAt => "timestamptz",
        SortKey::Name => "text",
        SortKey::Deadline => "date",
        SortKey::Budget => "int8",
    }
}

fn literal(value: &Option<SortValue>) -> String {
    let format = &time::format_description::well_known::Rfc3339;
    match value {
        None => "NULL".into(),
        Some(SortValue::Time(at)) => format!("'{}'", at.format(format).unwrap()),
        Some(SortValue::Name(name)) => format!("'{}'", name.replace('\'', "''")),
        Some(SortValue::Date(date)) => format!("'{date}'"),
        Some(SortValue::Cents(cents)) => cents.to_string(),
    }
}

/// The plan of `EXECUTE listing(args)`, as JSON.
async fn explain(client: &Client, args: &str) -> Value {
    let messages = client
        .simple_query(&format!(
            "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE listing({args})"
        ))
        .await
        .unwrap();
    let text = messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json[0]["Plan"].clone()
}

/// The checks every listing plan passes: no sequential scan, no sort of
/// more than two pages, and the scans that feed a Limit use `index`,
/// reading at most `most` rows each (filtered ones included).
fn assert_page_plan(root: &Value, index: &str, most: i64, context: &str) {
    let mut all = Vec::new();
    nodes(root, &mut Vec::new(), &mut all);
    let context = format!("{context}: {root:#}");
    let page_scans: Vec<_> = all
        .iter()
        .filter(|(node, above)| node["Relation Name"] == "projects" && above.contains(&"Limit"))
        .collect();
    assert!(!page_scans.is_empty(), "{context}");
    for (scan, _) in page_scans {
        assert_eq!(scan["Index Name"], index, "{context}");
        let read = scan["Actual Rows"].as_i64().unwrap()
            + scan["Rows Removed by Filter"].as_i64().unwrap_or(0);
        assert!(read <= most, "the page read {read} rows: {context}");
    }
    for (node, _) in &all {
        assert_ne!(node["Node Type"], "Seq Scan", "{context}");
        if node["Node Type"] == "Sort" || node["Node Type"] == "Incremental Sort" {
            assert!(
                node["Actual Rows"].as_i64().unwrap() <= 2 * LIMIT,
                "a sort over more than a page: {context}"
            );
        }
    }
}

async fn seeded() -> (
    TestDatabase,
    trellis_postgres::PgStore,
    trellis_domain::UserId,
) {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let client = db.client().await;
    // Ada's projects, one second apart, statuses in turn, a third without a
    // deadline and a budget, names and budgets with many ties; and, as on a
    // real server, many other users whose projects are most of the table.
    client
        .execute(
            "INSERT INTO projects (user_id, name, description, status, budget, deadline,
                                   created_at, updated_at)
             SELECT $1, (ARRAY['Alpha ', 'beta ', 'GAMMA '])[i % 3 + 1] || (i % 500),
                    'about ' || md5(i::text), (ARRAY['active', 'completed', 'archived'])[abs(hashint4(i::int)) % 3 + 1],
                    CASE WHEN i % 3 <> 1 THEN (i % 700) + 0.5 END,
                    CASE WHEN i % 3 <> 2 THEN DATE '2030-01-01' + (i % 400)::int END,
                    now() - i * interval '1 second', now() - (i * 7 % 10000) * interval '1 second'
             FROM generate_series(1, $2::int8) AS i",
            &[&ada.id.as_uuid(), &PROJECTS],
        )
        .await
        .unwrap();
    client
        .batch_execute(
            "INSERT INTO users (email, password_hash, full_name)
             SELECT 'other' || i || '@example.com', 'x', 'Other' FROM generate_series(1, 1000) AS i;
             INSERT INTO projects (user_id, name, description, created_at)
             SELECT id, 'theirs ' || i, 'about ' || md5(id::text || i), now() - i * interval '1 minute'
             FROM users CROSS JOIN generate_series(1, 40) AS i
             WHERE email LIKE 'other%'",
        )
        .await
        .unwrap();
    client
        .batch_execute("VACUUM ANALYZE projects")
        .await
        .unwrap();
    (db, store, ada.id)
}

#[tokio::test]
async fn every_sort_walks_its_index_on_offset_and_keyset_pages_at_any_depth() {
    let (db, store, ada) = seeded().await;
    let client = db.client().await;
    let everything = ProjectFilter::default();
    for sort in ProjectSort::all() {
        // Positions to continue after: early, in the middle, at depth 9,980
        // (for nullable keys, the last two are among the projects without).
        let mut positions: Vec<Position> = Vec::new();
        for page in [1, 250, 499] {
            let request = PageRequest::new(page, LIMIT as u32).unwrap();
            let listed = store.page(ada, &everything, sort, request).await.unwrap();
            assert_eq!(listed.total, PROJECTS as u64, "{sort}");
            positions.push(sort.position_of(listed.items.last().unwrap()));
        }
        let index = index_of(sort);
        client.batch_execute("DEALLOCATE ALL").await.unwrap();
        client
            .batch_execute(&format!(
                "PREPARE listing(uuid, text[], int8, int8) AS {}",
                project_listing_sql(sort, false, false)
            ))
            .await
            .unwrap();
        for mode in MODES {
            client
                .batch_execute(&format!("SET plan_cache_mode = {mode}"))
                .await
                .unwrap();
            for statuses in ["{active,completed,archived}", "{active}"] {
                for page in [1, 400] {
                    let offset = (page - 1) * LIMIT;
                    let args = format!("'{ada}', '{statuses}', {LIMIT}, {offset}");
                    let plan = explain(&client, &args).await;
                    let context = format!("{sort} {mode} {statuses} page {page}");
                    // The page's ids come from the index with its status (a third
                    // of the projects have each; five times a page is a safe bound).
                    assert_page_plan(&plan, index, 5 * (offset + LIMIT), &context);
                }
            }
        }
        client
            .batch_execute(&format!(
                "DEALLOCATE listing; PREPARE listing(uuid, text[], int8, uuid, {}, uuid) AS {}",
                value_type(sort.key),
                project_listing_sql(sort, true, false)
            ))
            .await
            .unwrap();
        for mode in MODES {
            client
                .batch_execute(&format!("SET plan_cache_mode = {mode}"))
                .await
                .unwrap();
            for position in &positions {
                let nulls_after = match (&position.value, sort.direction) {
                    (None, _) => position.id.to_string(),
                    (Some(_), Direction::Ascending) => uuid::Uuid::nil().to_string(),
                    (Some(_), Direction::Descending) => uuid::Uuid::max().to_string(),
                };
                let args = format!(
                    "'{ada}', '{{active,completed,archived}}', {}, '{}', {}, '{nulls_after}'",
                    LIMIT + 1,
                    position.id,
                    literal(&position.value),
                );
                let plan = explain(&client, &args).await;
                let context = format!("{sort} {mode} after {position:?}");
                assert_page_plan(&plan, index, LIMIT + 1, &context);
            }
        }
    }
}

#[tokio::test]
async fn a_search_looks_its_longest_term_up_in_the_trigram_index() {
    let (db, store, ada) = seeded().await;
    let client = db.client().await;
    let needle = "about 0c";
    client
        .batch_execute(&format!(
            "PREPARE listing(uuid, text[], int8, int8, text, text[]) AS {}",
            project_listing_sql(ProjectSort::default(), false, true)
        ))
        .await
        .unwrap();
    let plan = explain(
        &client,
        &format!("'{ada}', '{{active,completed,archived}}', {LIMIT}, 0, '%zz9%', '{{}}'"),
    )
    .await;
    let mut all = Vec::new();
    nodes(&plan, &mut Vec::new(), &mut all);
    assert!(
        all.iter()
            .any(|(node, _)| node["Index Name"] == "projects_search_idx"),
        "{plan:#}"
    );
    // And the adapter finds what the rule says.
    let filter = ProjectFilter {
        statuses: StatusSet::only(ProjectStatus::Active),
        search: Some(SearchQuery::parse(&format!("{needle} alpha")).unwrap()),
    };
    let listed = store
        .page(ada, &filter, ProjectSort::default(), PageRequest::default())
        .await
        .unwrap();
    assert!(listed.total > 0);
    for project in &listed.items {
        assert_eq!(project.status, ProjectStatus::Active);
        assert!(filter.matches(project), "{project:?}");
    }
}
