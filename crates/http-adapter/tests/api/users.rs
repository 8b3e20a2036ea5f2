//! Admin-only account management.

use crate::helpers::spawn;
use actix_web::http::Method;
use serde_json::json;
use trellis_domain::Role;
use trellis_ports::UserRepository;
use uuid::Uuid;

#[actix_web::test]
async fn ordinary_users_are_forbidden() {
    let app = spawn().await;
    let user = app.sign_up("user@example.com").await;
    let path = format!("/api/users/{}", user.id);
    app.get("/api/users", &user.token)
        .await
        .error(403, "Insufficient permissions");
    app.get(&path, &user.token)
        .await
        .error(403, "Insufficient permissions");
    app.send(
        Method::PATCH,
        &path,
        Some(&user.token),
        Some(json!({"role": "admin"})),
    )
    .await
    .error(403, "Insufficient permissions");
    app.send(Method::GET, "/api/users", None, None)
        .await
        .error(401, "Authentication required");
}

#[actix_web::test]
async fn admins_list_read_and_change_roles() {
    let app = spawn().await;
    let admin = app.sign_up_admin("root@example.com").await;
    let user = app.sign_up("user@example.com").await;
    for n in 0..3 {
        app.sign_up(&format!("extra{n}@example.com")).await;
    }
    let page = app
        .get("/api/users?limit=2&page=2", &admin.token)
        .await
        .ok(200);
    assert_eq!(
        (page["total"].as_u64(), page["totalPages"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(
        (page["page"].as_u64(), page["limit"].as_u64()),
        (Some(2), Some(2))
    );
    let emails: Vec<_> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(
        emails,
        [json!("extra0@example.com"), json!("user@example.com")]
    );
    app.get("/api/users?page=0", &admin.token)
        .await
        .invalid(&["page: must be an integer of at least 1"]);

    let path = format!("/api/users/{}", user.id);
    assert_eq!(
        app.get(&path, &admin.token).await.ok(200)["user"]["email"],
        user.email
    );
    let patched = app
        .send(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"role": "admin"})),
        )
        .await
        .ok(200);
    assert_eq!(patched["user"]["role"], "admin");
    app.send(
        Method::PATCH,
        &path,
        Some(&admin.token),
        Some(json!({"role": "root"})),
    )
    .await
    .invalid(&["role: must be one of: user, admin"]);
    app.send(Method::PATCH, &path, Some(&admin.token), Some(json!({})))
        .await
        .invalid(&["role: is required"]);
    // Only JSON here: the contract lists no form for this endpoint.
    app.raw(
        Method::PATCH,
        &path,
        Some(&admin.token),
        "application/x-www-form-urlencoded",
        "role=user",
    )
    .await
    .error(415, "Unsupported content type");
}

#[actix_web::test]
async fn unknown_and_malformed_ids_are_404() {
    let app = spawn().await;
    let admin = app.sign_up_admin("root@example.com").await;
    for path in [
        format!("/api/users/{}", Uuid::new_v4()),
        "/api/users/not-a-uuid".to_owned(),
    ] {
        app.get(&path, &admin.token)
            .await
            .error(404, "User not found");
        app.send(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"role": "user"})),
        )
        .await
        .error(404, "User not found");
    }
}

#[actix_web::test]
async fn a_demoted_admins_token_grants_nothing() {
    let app = spawn().await;
    let admin = app.sign_up_admin("was-admin@example.com").await;
    app.get("/api/users", &admin.token).await.ok(200);
    app.store.set_role(admin.id, Role::User).await.unwrap();
    app.get("/api/users", &admin.token)
        .await
        .error(403, "Insufficient permissions");
}
