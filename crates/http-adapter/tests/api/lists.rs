//! `GET /api/projects` with `sort`, `q`, several statuses and cursors.

use crate::helpers::spawn;
use serde_json::{Value, json};

fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn keys(page: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[actix_web::test]
async fn sorts_searches_and_several_statuses() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let eve = app.sign_up("eve@example.com").await;
    app.create_project(&eve, json!({"name": "moon of eve"}))
        .await;
    for (name, budget, status, description) in [
        ("b-moon", json!(20), "active", json!(null)),
        ("A-rocket", json!(null), "completed", json!("to the MOON")),
        ("c-lander", json!(5.5), "archived", json!("Moon lander")),
        ("D-probe", json!(20), "active", json!("Mars")),
    ] {
        app.create_project(
            &ada,
            json!({"name": name, "budget": budget, "status": status, "description": description}),
        )
        .await;
    }
    let list = |query: &str| {
        let path = format!("/api/projects?{query}");
        let token = ada.token.clone();
        let app = &app;
        async move { app.get(&path, &token).await }
    };
    assert_eq!(
        names(&list("sort=name").await.ok(200)),
        ["A-rocket", "b-moon", "c-lander", "D-probe"]
    );
    assert_eq!(
        names(&list("sort=-name").await.ok(200)),
        ["D-probe", "c-lander", "b-moon", "A-rocket"]
    );
    // Equal budgets tie by id (creation order) in the same direction; none last.
    assert_eq!(
        names(&list("sort=budget").await.ok(200)),
        ["c-lander", "b-moon", "D-probe", "A-rocket"]
    );
    assert_eq!(
        names(&list("sort=-budget").await.ok(200)),
        ["D-probe", "b-moon", "c-lander", "A-rocket"]
    );
    assert_eq!(
        names(&list("sort=created_at").await.ok(200)),
        ["b-moon", "A-rocket", "c-lander", "D-probe"]
    );
    let found = list("q=MOON&sort=name").await.ok(200);
    assert_eq!(names(&found), ["A-rocket", "b-moon", "c-lander"]);
    assert_eq!(found["total"], 3);
    assert_eq!(names(&list("q=moon%20lander").await.ok(200)), ["c-lander"]);
    assert_eq!(
        names(&list("status=active,archived&sort=name").await.ok(200)),
        ["b-moon", "c-lander", "D-probe"]
    );
    assert_eq!(
        names(&list("status=completed&q=moon").await.ok(200)),
        ["A-rocket"]
    );

    list("sort=id&q=&status=active,done")
        .await
        .invalid(&[
            "status: must be one of: active, completed, archived",
            "sort: must be one of: created_at, updated_at, name, deadline, budget, each optionally with a leading - for descending order",
            "q: must contain at least one search term",
        ]);
    list(&format!("q={}", "a".repeat(201)))
        .await
        .invalid(&["q: must be at most 200 characters"]);
}

#[actix_web::test]
async fn cursors_walk_the_whole_listing_without_totals() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for n in 0..25 {
        app.create_project(&ada, json!({"name": format!("p{n:02}"), "status": if n % 2 == 0 { "active" } else { "completed" }}))
            .await;
    }
    let all = app
        .get("/api/projects?limit=100&sort=name", &ada.token)
        .await
        .ok(200);
    assert_eq!(all["next_cursor"], Value::Null, "the last page has no next");

    let first = app
        .get("/api/projects?limit=10&sort=name", &ada.token)
        .await
        .ok(200);
    assert_eq!(
        keys(&first),
        [
            "data",
            "limit",
            "next_cursor",
            "page",
            "total",
            "totalPages"
        ]
    );
    let mut walked = names(&first);
    let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut pages = 1;
    loop {
        let page = app
            .get(
                &format!("/api/projects?limit=10&cursor={cursor}"),
                &ada.token,
            )
            .await
            .ok(200);
        pages += 1;
        assert_eq!(keys(&page), ["data", "limit", "next_cursor"]);
        assert_eq!(page["limit"], 10);
        walked.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!((pages, walked), (3, names(&all)));

    // A cursor keeps its filters; repeating them is fine, changing them is not.
    let active = app
        .get("/api/projects?limit=5&status=active&sort=-name", &ada.token)
        .await
        .ok(200);
    let cursor = active["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("/api/projects?limit=5&cursor={cursor}&status=active&sort=-name"),
            &ada.token,
        )
        .await
        .ok(200);
    assert_eq!(names(&next), ["p14", "p12", "p10", "p08", "p06"]);
    let without = app
        .get(
            &format!("/api/projects?limit=5&cursor={cursor}"),
            &ada.token,
        )
        .await
        .ok(200);
    assert_eq!(names(&without), names(&next));
    app.get(
        &format!("/api/projects?cursor={cursor}&status=completed&sort=name&q=p"),
        &ada.token,
    )
    .await
    .invalid(&[
        "status: differs from the one the cursor was made with",
        "sort: differs from the one the cursor was made with",
        "q: differs from the one the cursor was made with",
    ]);
}

#[actix_web::test]
async fn bad_cursors_are_400_never_500() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for n in 0..3 {
        app.create_project(&ada, json!({"name": format!("p{n}")}))
            .await;
    }
    let first = app.get("/api/projects?limit=1", &ada.token).await.ok(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in ["", "abc", "%00", &tampered, &cursor[..cursor.len() - 1]] {
        app.get(&format!("/api/projects?cursor={bad}"), &ada.token)
            .await
            .invalid(&["cursor: is invalid"]);
    }
    app.get(&format!("/api/projects?cursor={cursor}&page=2"), &ada.token)
        .await
        .invalid(&["page: cannot be combined with cursor"]);
    app.get(
        &format!("/api/projects?cursor={cursor}&limit=0"),
        &ada.token,
    )
    .await
    .invalid(&["limit: must be an integer of at least 1"]);
    // Another user's cursor shows that user nothing of Ada's.
    let eve = app.sign_up("eve@example.com").await;
    let theirs = app
        .get(&format!("/api/projects?cursor={cursor}"), &eve.token)
        .await
        .ok(200);
    assert_eq!(theirs["data"], json!([]));
}
