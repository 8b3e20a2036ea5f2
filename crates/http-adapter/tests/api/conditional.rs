//! Strong `ETag`s, `If-None-Match` (304) and `If-Match` (412).

use crate::helpers::spawn;
use actix_web::{http::Method, test::TestRequest};
use serde_json::json;

#[actix_web::test]
async fn every_answer_carrying_a_project_carries_its_tag_and_reads_revalidate() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let created = app
        .send(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            Some(json!({"name": "Apollo"})),
        )
        .await;
    let tag = created.header("etag").unwrap().to_owned();
    let id = created.ok(201)["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"),
        "{tag}"
    );
    let path = format!("/api/projects/{id}");

    let read = app.get(&path, &ada.token).await;
    assert_eq!(read.header("etag"), Some(tag.as_str()));
    read.ok(200);
    let get_with = |header: &'static str, value: String| {
        TestRequest::get()
            .uri(&path)
            .insert_header(("authorization", format!("Bearer {}", ada.token)))
            .insert_header((header, value))
    };
    let unchanged = app
        .call(get_with("if-none-match", format!("\"x\", {tag}")))
        .await;
    assert_eq!(unchanged.status.as_u16(), 304);
    assert!(unchanged.bytes.is_empty());
    assert_eq!(unchanged.header("etag"), Some(tag.as_str()));
    let weak = app
        .call(get_with("if-none-match", format!("W/{tag}")))
        .await;
    assert_eq!(weak.status.as_u16(), 304);
    let other = app
        .call(get_with("if-none-match", "\"other\"".into()))
        .await;
    assert_eq!(other.status.as_u16(), 200);

    let patched = app
        .send(
            Method::PATCH,
            &path,
            Some(&ada.token),
            Some(json!({"status": "completed"})),
        )
        .await;
    let new_tag = patched.header("etag").unwrap().to_owned();
    patched.ok(200);
    assert_ne!(new_tag, tag, "a write changes the tag");
    let stale = app.call(get_with("if-none-match", tag.clone())).await;
    assert_eq!(stale.status.as_u16(), 200);

    // GET /api/me too.
    let me = app.get("/api/me", &ada.token).await;
    let me_tag = me.header("etag").unwrap().to_owned();
    me.ok(200);
    let request = TestRequest::get()
        .uri("/api/me")
        .insert_header(("authorization", format!("Bearer {}", ada.token)))
        .insert_header(("if-none-match", me_tag));
    assert_eq!(app.call(request).await.status.as_u16(), 304);
}

#[actix_web::test]
async fn writes_with_a_stale_if_match_are_412_and_change_nothing() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let created = app
        .send(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            Some(json!({"name": "Apollo"})),
        )
        .await;
    let tag = created.header("etag").unwrap().to_owned();
    let id = created.ok(201)["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/projects/{id}");
    let write = |method: Method, if_match: String, body: Option<serde_json::Value>| {
        let mut request = TestRequest::default()
            .method(method)
            .uri(&path)
            .insert_header(("authorization", format!("Bearer {}", ada.token)))
            .insert_header(("if-match", if_match));
        if let Some(body) = body {
            request = request.set_json(body);
        }
        app.call(request)
    };
    let first = write(Method::PUT, tag.clone(), Some(json!({"name": "Apollo 11"}))).await;
    let current = first.header("etag").unwrap().to_owned();
    assert_eq!(first.ok(200)["project"]["name"], "Apollo 11");
    for method in [Method::PUT, Method::PATCH] {
        write(method, tag.clone(), Some(json!({"name": "lost"})))
            .await
            .error(412, "Precondition failed");
    }
    write(Method::DELETE, format!("W/{current}"), None)
        .await
        .error(412, "Precondition failed");
    write(Method::DELETE, "\"garbage\"".into(), None)
        .await
        .error(412, "Precondition failed");
    assert_eq!(
        app.get(&path, &ada.token).await.ok(200)["project"]["name"],
        "Apollo 11"
    );
    let star = write(
        Method::PATCH,
        "*".into(),
        Some(json!({"status": "archived"})),
    )
    .await;
    let current = star.header("etag").unwrap().to_owned();
    star.ok(200);
    let listed = write(Method::DELETE, format!("{tag}, {current}"), None).await;
    assert_eq!(listed.status.as_u16(), 204);
    // A missing project stays a 404, whatever the condition.
    write(Method::PATCH, current, Some(json!({"name": "x"})))
        .await
        .error(404, "Project not found");
}

#[actix_web::test]
async fn two_patches_with_one_tag_at_once_one_wins_one_is_412() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for round in 0..5 {
        let created = app
            .send(
                Method::POST,
                "/api/projects",
                Some(&ada.token),
                Some(json!({"name": format!("r{round}")})),
            )
            .await;
        let tag = created.header("etag").unwrap().to_owned();
        let id = created.ok(201)["project"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let patch = |name: &str| {
            app.call(
                TestRequest::patch()
                    .uri(&format!("/api/projects/{id}"))
                    .insert_header(("authorization", format!("Bearer {}", ada.token)))
                    .insert_header(("if-match", tag.clone()))
                    .set_json(json!({"name": name})),
            )
        };
        let (a, b) = futures_util::future::join(patch("left"), patch("right")).await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412]);
    }
}
