//! The listing statement's query plans on a user with 10,000 projects: the
//! page walks the `(user_id, created_at DESC, id)` index and stops after
//! the page; nothing sorts more than one page. Checked for the plans the
//! server actually runs: custom (first executions) and generic (later
//! executions of the cached prepared statement).

mod support;

use serde_json::Value;
use support::user;
use trellis_domain::{PageRequest, ProjectStatus};
use trellis_ports::ProjectRepository;
use trellis_postgres::testkit::{PROJECT_PAGE_SQL, TestDatabase};

const PROJECTS: i64 = 10_000;
const LIMIT: i64 = 20;

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

#[tokio::test]
async fn the_project_listing_walks_the_index_and_sorts_one_page_at_most() {
    let db = TestDatabase::create().await;
    let store = db.store();
    let ada = user(&store).await;
    let client = db.client().await;
    // Ada's projects, one second apart, statuses in turn; and, as on a real
    // server, many other users whose projects are most of the table.
    client
        .execute(
            "INSERT INTO projects (user_id, name, status, created_at)
             SELECT $1, 'project ' || i, (ARRAY['active', 'completed', 'archived'])[i % 3 + 1],
                    now() - i * interval '1 second'
             FROM generate_series(1, $2::int8) AS i",
            &[&ada.id.as_uuid(), &PROJECTS],
        )
        .await
        .unwrap();
    client
        .batch_execute(
            "INSERT INTO users (email, password_hash, full_name)
             SELECT 'other' || i || '@example.com', 'x', 'Other' FROM generate_series(1, 1000) AS i;
             INSERT INTO projects (user_id, name, created_at)
             SELECT id, 'theirs ' || i, now() - i * interval '1 minute'
             FROM users CROSS JOIN generate_series(1, 40) AS i
             WHERE email LIKE 'other%'",
        )
        .await
        .unwrap();
    client
        .batch_execute("VACUUM ANALYZE projects")
        .await
        .unwrap();
    client
        .batch_execute(&format!("PREPARE listing AS {PROJECT_PAGE_SQL}"))
        .await
        .unwrap();

    for mode in ["force_custom_plan", "force_generic_plan"] {
        client
            .batch_execute(&format!("SET plan_cache_mode = {mode}"))
            .await
            .unwrap();
        for status in [None, Some("active")] {
            for page in [1, 400] {
                let offset = (page - 1) * LIMIT;
                let status_sql = status.map_or("NULL".to_owned(), |s| format!("'{s}'"));
                let explain = format!(
                    "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE listing('{}', {status_sql}, {LIMIT}, {offset})",
                    ada.id
                );
                let messages = client.simple_query(&explain).await.unwrap();
                let text = messages
                    .iter()
                    .find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            row.get(0).map(str::to_owned)
                        }
                        _ => None,
                    })
                    .unwrap();
                let json: Value = serde_json::from_str(&text).unwrap();
                let root = &json[0]["Plan"];
                let mut all = Vec::new();
                nodes(root, &mut Vec::new(), &mut all);
                let context = format!("{mode}, status {status:?}, page {page}: {root:#}");

                let page_scans: Vec<_> = all
                    .iter()
                    .filter(|(node, above)| {
                        node["Relation Name"] == "projects" && above.contains(&"Limit")
                    })
                    .collect();
                assert_eq!(page_scans.len(), 1, "{context}");
                let (scan, _) = page_scans[0];
                assert_eq!(scan["Index Name"], "projects_user_created_idx", "{context}");
                assert!(
                    scan["Actual Rows"].as_i64().unwrap() <= offset + LIMIT,
                    "the page read more than it shows: {context}"
                );
                for (node, _) in &all {
                    assert_ne!(node["Node Type"], "Seq Scan", "{context}");
                    if node["Node Type"] == "Sort" || node["Node Type"] == "Incremental Sort" {
                        assert!(
                            node["Actual Rows"].as_i64().unwrap() <= LIMIT,
                            "a sort over more than one page: {context}"
                        );
                    }
                }
            }
        }
    }

    // And the adapter answers those pages right, totals included.
    let active = Some(ProjectStatus::Active);
    let cases = [
        (None, 1, 20, PROJECTS),
        (None, 400, 20, PROJECTS),
        (active, 1, 20, 3333),
        (active, 400, 0, 3333),
    ];
    for (status, page, shown, total) in cases {
        let request = PageRequest::new(page, LIMIT as u32).unwrap();
        let listed = ProjectRepository::page(&store, ada.id, status, request)
            .await
            .unwrap();
        assert_eq!(
            (listed.items.len(), listed.total),
            (shown, total as u64),
            "{status:?} {page}"
        );
    }
}
