//! End to end on PostgreSQL: the old service's quick-start walk, as an HTTP
//! client does it, and the project lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use awc::http::{Method, StatusCode};
use serde_json::json;
use support::TestApp;

#[actix_web::test]
async fn the_quick_start_walk() {
    let app = TestApp::postgres().await;
    let registered = app
        .call(
            Method::POST,
            "/api/register",
            None,
            Some(json!({"email": "Ada@Example.com", "password": "correct horse", "full_name": "Ada"})),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    assert_eq!(registered.body["user"]["email"], "ada@example.com");
    assert!(registered.body["user"].get("password_hash").is_none());

    let login = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"email": "ada@example.com", "password": "correct horse"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let token = login.body["token"].as_str().unwrap().to_owned();

    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["id"], registered.body["user"]["id"]);

    let created = app
        .call(
            Method::POST,
            "/api/projects",
            Some(&token),
            Some(json!({"name": "Website Redesign", "description": "Q1", "budget": 15000.5, "deadline": "2099-12-31"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let project = &created.body["project"];
    assert_eq!(project["status"], "active");
    assert_eq!(project["budget"], json!(15000.5));
    assert_eq!(project["deadline"], "2099-12-31");
    let id = project["id"].as_str().unwrap().to_owned();

    let list = app.get("/api/projects", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["page"], 1);
    assert_eq!(list.body["limit"], 20);
    assert_eq!(list.body["totalPages"], 1);
    assert_eq!(list.body["data"][0]["id"], id.as_str());

    let put = app
        .call(
            Method::PUT,
            &format!("/api/projects/{id}"),
            Some(&token),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    assert_eq!(put.body["project"]["status"], "completed");
    assert_eq!(put.body["project"]["name"], "Website Redesign");
    assert_eq!(put.body["project"]["budget"], json!(15000.5));

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_null());
    let gone = app.get(&format!("/api/projects/{id}"), Some(&token)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error(), "Project not found");
}

#[actix_web::test]
async fn project_lifecycle_with_partial_updates_filters_and_pages() {
    let app = TestApp::postgres().await;
    let (token, user_id) = app.register("ada@example.com").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let status = if n % 2 == 0 { "active" } else { "archived" };
        let created = app
            .call(
                Method::POST,
                "/api/projects",
                Some(&token),
                Some(json!({"name": format!("  P{n}  "), "status": status, "budget": "0.1", "user_id": "ignored"})),
            )
            .await;
        // A numeric string budget is not a JSON number.
        assert_eq!(created.status, StatusCode::BAD_REQUEST, "{created:?}");
        let created = app
            .call(
                Method::POST,
                "/api/projects",
                Some(&token),
                Some(json!({"name": format!("  P{n}  "), "status": status, "budget": 0.1, "user_id": "ignored"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        assert_eq!(created.body["project"]["name"], format!("P{n}"));
        assert_eq!(created.body["project"]["user_id"], user_id.as_str());
        ids.push(created.body["project"]["id"].as_str().unwrap().to_owned());
    }
    let id = &ids[0];

    let set = app
        .call(
            Method::PATCH,
            &format!("/api/projects/{id}"),
            Some(&token),
            Some(json!({"description": "notes", "budget": 9999999999.99, "deadline": "2099-01-31T10:00:00Z"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(set.body["project"]["budget"], json!(9999999999.99));
    assert_eq!(set.body["project"]["deadline"], "2099-01-31");
    assert_eq!(set.body["project"]["description"], "notes");

    let cleared = app
        .call(
            Method::PUT,
            &format!("/api/projects/{id}"),
            Some(&token),
            Some(json!({"description": null, "budget": null, "deadline": null})),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{cleared:?}");
    let project = &cleared.body["project"];
    assert!(
        project["description"].is_null()
            && project["budget"].is_null()
            && project["deadline"].is_null()
    );
    assert_eq!(project["name"], "P0");

    let fetched = app.get(&format!("/api/projects/{id}"), Some(&token)).await;
    assert_eq!(fetched.body["project"], *project);

    let archived = app
        .get("/api/projects?status=archived&limit=1&page=2", Some(&token))
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(archived.body["total"], 2);
    assert_eq!(archived.body["totalPages"], 2);
    assert_eq!(archived.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        archived.body["data"][0]["name"], "P1",
        "newest first: P3 on page 1, P1 on page 2"
    );

    let all = app.get("/api/projects?limit=100", Some(&token)).await;
    let names: Vec<_> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, vec!["P4", "P3", "P2", "P1", "P0"]);

    let bad = app
        .get("/api/projects?page=0&limit=-1&status=done", Some(&token))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["details"].as_array().unwrap().len(), 3, "{bad:?}");

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error(), "Project not found");
}

#[actix_web::test]
async fn two_users_never_see_each_others_projects() {
    let app = TestApp::postgres().await;
    let (ada, _) = app.register("ada@example.com").await;
    let (eve, _) = app.register("eve@example.com").await;
    let created = app
        .call(
            Method::POST,
            "/api/projects",
            Some(&ada),
            Some(json!({"name": "Secret"})),
        )
        .await;
    let id = created.body["project"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/projects/{id}");
    for answer in [
        app.get(&path, Some(&eve)).await,
        app.call(
            Method::PATCH,
            &path,
            Some(&eve),
            Some(json!({"name": "Mine"})),
        )
        .await,
        app.call(
            Method::PUT,
            &path,
            Some(&eve),
            Some(json!({"name": "Mine"})),
        )
        .await,
        app.call(Method::DELETE, &path, Some(&eve), None).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
        assert_eq!(answer.error(), "Project not found");
    }
    assert_eq!(app.get("/api/projects", Some(&eve)).await.body["total"], 0);
    let mine = app.get(&path, Some(&ada)).await;
    assert_eq!(mine.body["project"]["name"], "Secret");
}

#[actix_web::test]
async fn racing_registrations_of_one_email_leave_one_account() {
    let app = TestApp::postgres().await;
    let attempts = (0..6).map(|n| {
        let body = json!({"email": if n % 2 == 0 { "race@example.com" } else { "RACE@example.com" },
                          "password": "correct horse", "full_name": "Racer"});
        app.call(Method::POST, "/api/register", None, Some(body))
    });
    let answers = futures_util::future::join_all(attempts).await;
    let created = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    let conflicts = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT && a.error() == "Email already registered")
        .count();
    assert_eq!((created, conflicts), (1, 5), "{answers:?}");
}
