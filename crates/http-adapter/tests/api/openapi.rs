//! The OpenAPI document against the routes the app serves, and the Swagger
//! UI against the assets it loads. (`.ci/run` validates the document
//! against the OpenAPI 3.1 schema and fuzzes the server with it.)

use crate::helpers::spawn;
use actix_web::http::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Every (method, path) of the contract (`/work/shared/API.md`), `/docs/`
/// being where `/docs` sends a browser.
const CONTRACT: [(&str, &str); 33] = [
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    ("POST", "/api/register"),
    ("POST", "/api/login"),
    ("GET", "/api/me"),
    ("PATCH", "/api/me"),
    ("GET", "/api/projects"),
    ("POST", "/api/projects"),
    ("GET", "/api/projects/{id}"),
    ("PUT", "/api/projects/{id}"),
    ("PATCH", "/api/projects/{id}"),
    ("DELETE", "/api/projects/{id}"),
    ("GET", "/api/projects/{id}/attachments"),
    ("POST", "/api/projects/{id}/attachments"),
    ("GET", "/api/projects/{id}/attachments/{attachment}"),
    ("DELETE", "/api/projects/{id}/attachments/{attachment}"),
    ("GET", "/api/users"),
    ("GET", "/api/users/{id}"),
    ("PATCH", "/api/users/{id}"),
    ("POST", "/api/token/refresh"),
    ("POST", "/api/logout"),
    ("POST", "/api/logout/all"),
    ("GET", "/api/sessions"),
    ("DELETE", "/api/sessions/{id}"),
    ("PATCH", "/api/me/password"),
    ("DELETE", "/api/users/{id}/sessions"),
    ("GET", "/api/events"),
    ("POST", "/api/events/ticket"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/openapi-forms.json"),
    ("GET", "/docs"),
    ("GET", "/docs/"),
];

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document() -> Value {
    let app = spawn().await;
    app.send(Method::GET, "/api/openapi.json", None, None)
        .await
        .ok(200)
}

/// `(METHOD, path, operation)` for every operation of `doc`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

#[actix_web::test]
async fn the_document_lists_exactly_the_contracts_operations() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let listed: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"], &scheme["bearerFormat"]),
        (&"http".into(), &"bearer".into(), &"JWT".into())
    );
    let contract: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(listed, contract);
}

#[actix_web::test]
async fn the_app_serves_every_documented_operation() {
    let app = spawn().await;
    let doc = document().await;
    let id = Uuid::new_v4().to_string();
    for (method, path, _) in operations(&doc) {
        let concrete = path.replace("{id}", &id);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = app.send(method.clone(), &concrete, None, None).await;
        let status = reply.status.as_u16();
        assert!(
            status != 405 && !(status == 404 && reply.json()["error"] == "Endpoint not found"),
            "{method} {path}: {status} {:?}",
            reply.bytes
        );
    }
}

#[actix_web::test]
async fn operations_declare_their_statuses_and_error_bodies() {
    let doc = document().await;
    let error_response = |status: &str, operation: &Value| -> Value {
        let response = &operation["responses"][status];
        match response["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap();
                doc["components"]["responses"][name].clone()
            }
            None => response.clone(),
        }
    };
    for (method, path, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses
                .keys()
                .any(|status| status.starts_with(['2', '3'])),
            "{method} {path} has no success"
        );
        // A bearer token, possibly among other ways (the events' ticket).
        let secured = operation["security"]
            .as_array()
            .is_some_and(|ways| ways.contains(&serde_json::json!({"bearer": []})));
        assert_eq!(
            secured,
            path.starts_with("/api/")
                && ![
                    "/api/register",
                    "/api/login",
                    "/api/token/refresh",
                    "/api/openapi.json",
                    "/api/openapi-forms.json",
                ]
                .contains(&path.as_str()),
            "{method} {path}: security"
        );
        if secured {
            let unauthorized = error_response("401", &operation);
            assert!(
                unauthorized["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path} lacks 401 with WWW-Authenticate"
            );
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
        for (status, _) in responses {
            if status.starts_with('4') || status == "500" {
                let schema = &error_response(status, &operation)["content"]["application/json"]["schema"]
                    ["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Error",
                    "{method} {path} {status}"
                );
            }
        }
    }
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(
        error["required"],
        serde_json::json!(["error", "request_id"])
    );
}

#[actix_web::test]
async fn created_projects_link_to_their_operations() {
    let doc = document().await;
    let links = &doc["paths"]["/api/projects"]["post"]["responses"]["201"]["links"];
    let operation_ids: BTreeSet<String> = operations(&doc)
        .into_iter()
        .filter_map(|(_, _, operation)| operation["operationId"].as_str().map(str::to_owned))
        .collect();
    for name in [
        "GetProject",
        "UpdateProject",
        "ReplaceProject",
        "DeleteProject",
    ] {
        let link = &links[name];
        assert_eq!(link["parameters"]["id"], "$response.body#/project/id");
        assert!(operation_ids.contains(link["operationId"].as_str().unwrap()));
    }
}

#[actix_web::test]
async fn listings_do_not_cap_limit_and_ids_are_uuids() {
    let doc = document().await;
    let list = &doc["paths"]["/api/projects"]["get"];
    let params = list["parameters"].as_array().unwrap();
    let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
    // Above 100 is clamped, not refused: no maximum a client must respect.
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], u32::MAX);
    // Several statuses, separated by commas.
    let status = params.iter().find(|p| p["name"] == "status").unwrap();
    assert_eq!(
        (&status["style"], &status["explode"]),
        (&serde_json::json!("form"), &serde_json::json!(false))
    );
    assert_eq!(
        status["schema"]["items"]["enum"],
        serde_json::json!(["active", "completed", "archived"])
    );
    let sort = params.iter().find(|p| p["name"] == "sort").unwrap();
    assert_eq!(sort["schema"]["enum"].as_array().unwrap().len(), 10);
    for name in ["q", "cursor"] {
        assert!(params.iter().any(|p| p["name"] == name), "{name}");
    }
    let id = &doc["paths"]["/api/projects/{id}"]["get"]["parameters"][0];
    assert_eq!(id["schema"]["format"], "uuid");
}

/// Every `src="..."` and `href="..."` of `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (start, _) in html.match_indices(attribute) {
            let rest = &html[start + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

/// Whether `text` names a URL on another host.
fn has_absolute_url(text: &str) -> bool {
    text.contains("http://") || text.contains("https://") || text.contains("\"//")
}

#[actix_web::test]
async fn swagger_ui_is_served_whole_from_the_binary() {
    let app = spawn().await;
    let entry = app.send(Method::GET, "/docs", None, None).await;
    assert_eq!(entry.status.as_u16(), 308);
    assert_eq!(entry.header("location"), Some("/docs/"));

    let page = app.send(Method::GET, "/docs/", None, None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = std::str::from_utf8(&page.bytes).unwrap();
    assert!(!has_absolute_url(html), "{html}");
    let assets = references(html);
    assert!(assets.len() >= 5, "{assets:?}");
    assert!(assets.iter().any(|a| a.ends_with("swagger-initializer.js")));
    for asset in assets {
        let path = format!("/docs/{}", asset.trim_start_matches("./"));
        let reply = app.send(Method::GET, &path, None, None).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}");
        assert!(!reply.bytes.is_empty(), "{path}");
    }

    let initializer = app
        .send(Method::GET, "/docs/swagger-initializer.js", None, None)
        .await;
    let script = std::str::from_utf8(&initializer.bytes).unwrap();
    assert!(!has_absolute_url(script), "{script}");
    assert!(script.contains("\"/api/openapi.json\""), "{script}");
    assert!(script.contains("persistAuthorization"), "{script}");

    app.send(Method::GET, "/docs/nothing-here.js", None, None)
        .await
        .error(404, "Endpoint not found");
}

/// What generated clients need (openapi-typescript, openapi-python-client):
/// one content type per request body, "at least one field" as
/// `minProperties`, page items by reference to their resource's component.
#[actix_web::test]
async fn the_document_types_what_generators_can_type() {
    let doc = document().await;
    for (method, path, operation) in operations(&doc) {
        if let Some(body) = operation.get("requestBody") {
            let content = body["content"].as_object().unwrap();
            // Files go up as a form with one binary part; everything else is JSON.
            let expected = if path.ends_with("/attachments") {
                "multipart/form-data"
            } else {
                "application/json"
            };
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                [expected],
                "{method} {path}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    for update in ["ProjectUpdate", "ProfileUpdate"] {
        let schema = &schemas[update];
        assert_eq!(schema["type"], "object", "{update}");
        assert_eq!(schema["minProperties"], 1, "{update}");
        assert!(
            schema.get("allOf").is_none() && schema.get("anyOf").is_none(),
            "{update}"
        );
    }
    for (page, item) in [("ProjectPage", "Project"), ("UserPage", "User")] {
        assert_eq!(
            schemas[page]["properties"]["data"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{page}"
        );
    }
    let list = &doc["paths"]["/api/projects"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(list["$ref"], "#/components/schemas/ProjectPage");
    assert!(
        doc["paths"]["/api/projects"]["post"]["description"]
            .as_str()
            .unwrap()
            .contains("/api/openapi-forms.json")
    );
}

#[actix_web::test]
async fn the_forms_document_describes_the_form_operations_with_form_bodies() {
    let app = spawn().await;
    let forms = app
        .send(Method::GET, "/api/openapi-forms.json", None, None)
        .await
        .ok(200);
    let listed: BTreeSet<(String, String)> = operations(&forms)
        .into_iter()
        .map(|(method, path, operation)| {
            let content = operation["requestBody"]["content"].as_object().unwrap();
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                ["application/x-www-form-urlencoded"],
                "{method} {path}"
            );
            (method, path)
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/api/register"),
        ("POST", "/api/login"),
        ("PATCH", "/api/me"),
        ("POST", "/api/projects"),
        ("PUT", "/api/projects/{id}"),
        ("PATCH", "/api/projects/{id}"),
    ]
    .iter()
    .map(|(method, path)| (method.to_string(), path.to_string()))
    .collect();
    assert_eq!(listed, expected);
    let budget = &forms["components"]["schemas"]["NewProjectForm"]["properties"]["budget"];
    assert_eq!(budget["type"], "string", "form values are text");
}
