//! `GET /api/events` and `POST /api/events/ticket` at the HTTP edge: what
//! is refused before a stream opens, and what the document says.

use crate::helpers::spawn;
use actix_web::{http::Method, test::TestRequest};

#[actix_web::test]
async fn a_stream_is_refused_before_it_opens() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let anonymous = app.send(Method::GET, "/api/events", None, None).await;
    assert_eq!(anonymous.status.as_u16(), 401);
    assert_eq!(anonymous.json()["error"], "Authentication required");
    let ticket = app
        .send(Method::GET, "/api/events?ticket=nope", None, None)
        .await;
    assert_eq!(
        (ticket.status.as_u16(), ticket.json()["error"].clone()),
        (401, "Invalid ticket".into())
    );
    let json_only = app
        .call(
            TestRequest::get()
                .uri("/api/events")
                .insert_header(("authorization", format!("Bearer {}", ada.token)))
                .insert_header(("accept", "application/json")),
        )
        .await;
    assert_eq!(json_only.status.as_u16(), 406);
    assert_eq!(json_only.json()["error"], "Not acceptable");
    let bad_resume = app
        .call(
            TestRequest::get()
                .uri("/api/events")
                .insert_header(("authorization", format!("Bearer {}", ada.token)))
                .insert_header(("last-event-id", "yesterday")),
        )
        .await;
    assert_eq!(bad_resume.status.as_u16(), 400);
    assert_eq!(
        bad_resume.json()["details"][0],
        "Last-Event-ID: must be an event id"
    );
    let head = app
        .send(Method::HEAD, "/api/events", Some(&ada.token), None)
        .await;
    assert_eq!(head.status.as_u16(), 200);
    assert_eq!(
        head.headers.get("content-type").unwrap(),
        "text/event-stream"
    );
    assert_eq!(
        head.headers.get("x-content-type-options").unwrap(),
        "nosniff",
        "security headers"
    );
}

#[actix_web::test]
async fn tickets_are_issued_to_bearers_only() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let issued = app
        .send(Method::POST, "/api/events/ticket", Some(&ada.token), None)
        .await
        .ok(201);
    assert_eq!(issued["expires_in"], 30);
    assert!(issued["ticket"].as_str().unwrap().len() >= 43, "256 bits");
    let anonymous = app
        .send(Method::POST, "/api/events/ticket", None, None)
        .await;
    assert_eq!(anonymous.status.as_u16(), 401);
}

#[actix_web::test]
async fn the_document_describes_the_stream_and_its_event() {
    let app = spawn().await;
    let doc = app
        .send(Method::GET, "/api/openapi.json", None, None)
        .await
        .ok(200);
    let responses = &doc["paths"]["/api/events"]["get"]["responses"];
    assert!(responses["101"].is_object(), "{responses}");
    assert_eq!(
        responses["200"]["content"]["text/event-stream"]["schema"]["$ref"],
        "#/components/schemas/Event"
    );
    let event = &doc["components"]["schemas"]["Event"]["properties"];
    for field in ["id", "type", "project_id", "project", "at"] {
        assert!(event[field].is_object(), "Event.{field}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["ticket"]["in"],
        "query"
    );
}
