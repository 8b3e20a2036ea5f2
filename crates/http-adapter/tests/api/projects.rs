use crate::helpers::{Account, spawn};
use actix_web::http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn path(project: &Value) -> String {
    format!("/api/projects/{}", project["id"].as_str().unwrap())
}

#[actix_web::test]
async fn create_read_update_delete() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let project = app
        .create_project(
            &ada,
            json!({"name": " Engine ", "description": "gears", "budget": 1234.5,
                   "deadline": "2027-01-31", "user_id": Uuid::new_v4(), "id": "x"}),
        )
        .await;
    assert_eq!(project["name"], "Engine");
    assert_eq!(project["status"], "active");
    assert_eq!(project["user_id"], ada.id.to_string());
    assert_eq!(project["budget"], json!(1234.5));
    assert_eq!(project["deadline"], "2027-01-31");
    assert!(Uuid::parse_str(project["id"].as_str().unwrap()).is_ok());

    let read = app.get(&path(&project), &ada.token).await.ok(200);
    assert_eq!(read["project"], project);

    let reply = app
        .send(Method::DELETE, &path(&project), Some(&ada.token), None)
        .await;
    assert_eq!(reply.status.as_u16(), 204);
    assert!(reply.bytes.is_empty());
    app.get(&path(&project), &ada.token)
        .await
        .error(404, "Project not found");
    app.send(Method::DELETE, &path(&project), Some(&ada.token), None)
        .await
        .error(404, "Project not found");
}

#[actix_web::test]
async fn put_and_patch_are_partial_and_null_clears() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let project = app
        .create_project(
            &ada,
            json!({"name": "Engine", "description": "gears", "budget": 10, "deadline": "2027-01-31"}),
        )
        .await;
    // The old quick-start's own PUT body.
    let put = app
        .send(
            Method::PUT,
            &path(&project),
            Some(&ada.token),
            Some(json!({"status": "completed"})),
        )
        .await
        .ok(200)["project"]
        .clone();
    assert_eq!(put["status"], "completed");
    for kept in [
        "name",
        "description",
        "budget",
        "deadline",
        "created_at",
        "id",
    ] {
        assert_eq!(put[kept], project[kept], "{kept}");
    }
    let patched = app
        .send(
            Method::PATCH,
            &path(&project),
            Some(&ada.token),
            Some(json!({"description": null, "budget": null, "deadline": null, "name": "Loom"})),
        )
        .await
        .ok(200)["project"]
        .clone();
    assert_eq!(patched["name"], "Loom");
    assert_eq!(patched["status"], "completed");
    for cleared in ["description", "budget", "deadline"] {
        assert!(patched[cleared].is_null(), "{cleared}");
    }
    let set = app
        .send(
            Method::PATCH,
            &path(&project),
            Some(&ada.token),
            Some(json!({"budget": 0.3, "deadline": "2026-11-25T23:59:59-05:00"})),
        )
        .await
        .ok(200)["project"]
        .clone();
    assert_eq!(set["budget"], json!(0.3));
    assert_eq!(set["deadline"], "2026-11-25");
    assert!(set["updated_at"].as_str() > project["updated_at"].as_str());

    for method in [Method::PUT, Method::PATCH] {
        app.send(
            method.clone(),
            &path(&project),
            Some(&ada.token),
            Some(json!({"user_id": "x"})),
        )
        .await
        .invalid(&[
            "body: must contain at least one of: name, description, status, budget, deadline",
        ]);
        app.send(
            method,
            &path(&project),
            Some(&ada.token),
            Some(json!({"name": null, "status": "x"})),
        )
        .await
        .invalid(&[
            "name: must not be null",
            "status: must be one of: active, completed, archived",
        ]);
    }
}

#[actix_web::test]
async fn validation_lists_every_field() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    app.send(
        Method::POST,
        "/api/projects",
        Some(&ada.token),
        Some(
            json!({"description": "x".repeat(5001), "status": "done", "budget": 10000000000u64,
                    "deadline": "2026-11-24"}),
        ),
    )
    .await
    .invalid(&[
        "name: is required",
        "description: must be at most 5000 characters",
        "status: must be one of: active, completed, archived",
        "budget: must be at most 9999999999.99",
        "deadline: must be after today",
    ]);
    let budget = |value: Value| {
        app.send(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            Some(json!({"name": "n", "budget": value})),
        )
    };
    budget(json!(1.234))
        .await
        .invalid(&["budget: must have at most 2 decimal places"]);
    budget(json!(0))
        .await
        .invalid(&["budget: must be greater than 0"]);
    budget(json!(-5))
        .await
        .invalid(&["budget: must be greater than 0"]);
    for not_a_number in [json!({"amount": 5}), json!("12.5"), json!(true)] {
        budget(not_a_number)
            .await
            .invalid(&["budget: must be a number"]);
    }
    let max = budget(json!(9_999_999_999.99)).await;
    assert_eq!(max.ok(201)["project"]["budget"], json!(9999999999.99));
}

#[actix_web::test]
async fn budgets_are_read_from_their_digits() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for (text, rendered) in [
        ("0.30", "0.3"),
        ("1e3", "1000.0"),
        ("12.50", "12.5"),
        ("9999999999.99", "9999999999.99"),
        ("0.01", "0.01"),
    ] {
        let body = format!(r#"{{"name":"n","budget":{text}}}"#);
        let reply = app
            .raw(
                Method::POST,
                "/api/projects",
                Some(&ada.token),
                "application/json",
                body,
            )
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{text}: {:?}", reply.bytes);
        let raw = String::from_utf8(reply.bytes.to_vec()).unwrap();
        assert!(
            raw.contains(&format!(r#""budget":{rendered},"#)),
            "{text}: {raw}"
        );
    }
    // 0.1 + 0.2 in binary floating point is 0.30000000000000004: refused,
    // never silently rounded.
    let body = r#"{"name":"n","budget":0.30000000000000004}"#;
    app.raw(
        Method::POST,
        "/api/projects",
        Some(&ada.token),
        "application/json",
        body,
    )
    .await
    .invalid(&["budget: must have at most 2 decimal places"]);
}

#[actix_web::test]
async fn forms_create_and_update_projects() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let form = "application/x-www-form-urlencoded";
    let reply = app
        .raw(
            Method::POST,
            "/api/projects",
            Some(&ada.token),
            form,
            "name=Form+project&description=text&budget=99.90&deadline=2027-02-01&status=archived",
        )
        .await;
    let project = reply.ok(201)["project"].clone();
    assert_eq!(project["budget"], json!(99.9));
    assert_eq!(project["status"], "archived");
    // An empty value of a nullable field clears it.
    let reply = app
        .raw(
            Method::PATCH,
            &path(&project),
            Some(&ada.token),
            form,
            "description=&budget=",
        )
        .await;
    let updated = reply.ok(200)["project"].clone();
    assert!(updated["description"].is_null() && updated["budget"].is_null());
    assert_eq!(updated["deadline"], "2027-02-01");
    app.raw(
        Method::PUT,
        &path(&project),
        Some(&ada.token),
        form,
        "name=&budget=abc",
    )
    .await
    .invalid(&["name: must not be empty", "budget: must be a number"]);
}

#[actix_web::test]
async fn nobody_sees_anothers_projects() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let bob = app.sign_up_admin("bob@example.com").await;
    let adas = app.create_project(&ada, json!({"name": "mine"})).await;
    app.create_project(&bob, json!({"name": "bob's"})).await;

    let page = app.get("/api/projects", &bob.token).await.ok(200);
    assert_eq!(page["total"], 1);
    assert_eq!(page["data"][0]["name"], "bob's");

    // Even an admin gets 404, never 403.
    app.get(&path(&adas), &bob.token)
        .await
        .error(404, "Project not found");
    for method in [Method::PUT, Method::PATCH] {
        app.send(
            method,
            &path(&adas),
            Some(&bob.token),
            Some(json!({"name": "stolen"})),
        )
        .await
        .error(404, "Project not found");
    }
    app.send(Method::DELETE, &path(&adas), Some(&bob.token), None)
        .await
        .error(404, "Project not found");
    assert_eq!(
        app.get(&path(&adas), &ada.token).await.ok(200)["project"]["name"],
        "mine"
    );
}

#[actix_web::test]
async fn malformed_and_unknown_ids_are_404() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    for id in ["not-a-uuid", "123", &Uuid::new_v4().to_string()] {
        let path = format!("/api/projects/{id}");
        app.get(&path, &ada.token)
            .await
            .error(404, "Project not found");
        app.send(
            Method::PATCH,
            &path,
            Some(&ada.token),
            Some(json!({"name": "x"})),
        )
        .await
        .error(404, "Project not found");
        app.send(Method::DELETE, &path, Some(&ada.token), None)
            .await
            .error(404, "Project not found");
    }
}

async fn seed<S, B>(app: &crate::helpers::TestApp<S>, account: &Account, count: usize)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    for n in 0..count {
        let status = if n % 5 == 0 { "archived" } else { "active" };
        app.create_project(account, json!({"name": format!("p{n}"), "status": status}))
            .await;
    }
}

#[actix_web::test]
async fn pages_are_newest_first_bounded_and_filtered() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    seed(&app, &ada, 25).await;

    let first = app.get("/api/projects", &ada.token).await.ok(200);
    assert_eq!(
        (
            &first["total"],
            &first["page"],
            &first["limit"],
            &first["totalPages"]
        ),
        (&json!(25), &json!(1), &json!(20), &json!(2))
    );
    assert_eq!(first["data"].as_array().unwrap().len(), 20);
    assert_eq!(first["data"][0]["name"], "p24");

    let third = app
        .get("/api/projects?page=3&limit=10", &ada.token)
        .await
        .ok(200);
    let names: Vec<_> = third["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("p4"),
            json!("p3"),
            json!("p2"),
            json!("p1"),
            json!("p0")
        ]
    );

    let past = app.get("/api/projects?page=9", &ada.token).await.ok(200);
    assert_eq!(
        (past["data"].as_array().unwrap().len(), &past["total"]),
        (0, &json!(25))
    );

    let clamped = app
        .get("/api/projects?limit=1000", &ada.token)
        .await
        .ok(200);
    assert_eq!(
        (&clamped["limit"], clamped["data"].as_array().unwrap().len()),
        (&json!(100), 25)
    );

    let archived = app
        .get("/api/projects?status=archived&limit=2", &ada.token)
        .await
        .ok(200);
    assert_eq!(
        (&archived["total"], &archived["totalPages"]),
        (&json!(5), &json!(3))
    );
    assert_eq!(archived["data"][0]["name"], "p20");

    app.get("/api/projects?page=0&limit=0&status=done", &ada.token)
        .await
        .invalid(&[
            "page: must be an integer of at least 1",
            "limit: must be an integer of at least 1",
            "status: must be one of: active, completed, archived",
        ]);
    for query in ["page=-1", "limit=-5", "page=abc", "limit=2.5", "page="] {
        let reply = app.get(&format!("/api/projects?{query}"), &ada.token).await;
        reply.error(400, "Validation failed");
    }
}
