//! Attachments over the real app, services and the in-memory store and
//! blobs: the contract's answers, headers and limits. (The real binary on
//! PostgreSQL, local files and S3, and a crash, are in the server's tests.)

use crate::helpers::{ATTACHMENT_MAX_BYTES, FORM_BOUNDARY, spawn};
use actix_web::http::{Method, StatusCode};
use serde_json::json;

/// One part: name, filename, declared type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, kind, bytes) in parts {
        body.extend_from_slice(
            format!("--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"")
                .as_bytes(),
        );
        if let Some(filename) = filename {
            body.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(kind) = kind {
            body.extend_from_slice(format!("Content-Type: {kind}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{FORM_BOUNDARY}--\r\n").as_bytes());
    body
}

fn form_type() -> String {
    format!("multipart/form-data; boundary={FORM_BOUNDARY}")
}

fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 1);
    bytes
}

#[actix_web::test]
async fn an_upload_round_trips_with_the_contract_headers() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let project = app.create_project(&ada, json!({"name": "Files"})).await;
    let uploads = format!(
        "/api/projects/{}/attachments",
        project["id"].as_str().unwrap()
    );
    let text = "name,city\nAda,London\n";
    let created = app
        .upload(
            &uploads,
            &ada.token,
            form(&[(
                "file",
                Some("C:\\\\people\\\\list.csv"),
                Some("text/csv"),
                text.as_bytes(),
            )]),
        )
        .await
        .ok(201);
    let attachment = &created["attachment"];
    assert_eq!(attachment["filename"], "list.csv");
    assert_eq!(attachment["content_type"], "text/csv");
    assert_eq!(attachment["size"], text.len());
    assert_eq!(attachment["project_id"], project["id"]);
    let download = format!("{uploads}/{}", attachment["id"].as_str().unwrap());
    let bytes = app.get(&download, &ada.token).await;
    assert_eq!(bytes.status, StatusCode::OK);
    assert_eq!(bytes.bytes.as_ref(), text.as_bytes());
    assert_eq!(bytes.header("content-type").unwrap(), "text/csv");
    assert_eq!(
        bytes.header("content-security-policy").unwrap(),
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        bytes.header("etag").unwrap(),
        format!("\"{}\"", attachment["sha256"].as_str().unwrap())
    );
    assert_eq!(
        bytes.header("content-disposition").unwrap(),
        "attachment; filename=\"list.csv\"; filename*=UTF-8''list.csv"
    );
    let listed = app.get(&uploads, &ada.token).await.ok(200);
    assert_eq!(listed["data"], json!([attachment]));
    let deleted = app
        .send(Method::DELETE, &download, Some(&ada.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.get(&download, &ada.token)
        .await
        .error(404, "Attachment not found");
}

#[actix_web::test]
async fn limits_and_types_are_enforced_and_close_the_connection() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let project = app.create_project(&ada, json!({"name": "Files"})).await;
    let uploads = format!(
        "/api/projects/{}/attachments",
        project["id"].as_str().unwrap()
    );
    let too_big = png(ATTACHMENT_MAX_BYTES as usize + 1);
    let over = app
        .upload(
            &uploads,
            &ada.token,
            form(&[("file", None, None, &too_big)]),
        )
        .await;
    over.error(413, "Payload too large");
    let zip = app
        .upload(
            &uploads,
            &ada.token,
            form(&[(
                "file",
                Some("a.zip"),
                None,
                b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            )]),
        )
        .await;
    zip.error(415, "Unsupported content type");
    let json_body = app
        .send(
            Method::POST,
            &uploads,
            Some(&ada.token),
            Some(json!({"file": "x"})),
        )
        .await;
    json_body.error(415, "Unsupported content type");
    let missing = app
        .upload(&uploads, &ada.token, form(&[("note", None, None, b"hi")]))
        .await;
    missing.error(400, "Validation failed");
    assert_eq!(missing.json()["details"], json!(["file: is required"]));
    for _ in 0..3 {
        app.upload(
            &uploads,
            &ada.token,
            form(&[("file", None, None, &png(20_000))]),
        )
        .await
        .ok(201);
    }
    let full = app
        .upload(
            &uploads,
            &ada.token,
            form(&[("file", None, None, &png(10))]),
        )
        .await;
    full.error(409, "Too many attachments");
    let unauthenticated = app
        .raw(
            Method::POST,
            &uploads,
            None,
            &form_type(),
            form(&[("file", None, None, &png(10))]),
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn ranges_answer_206_and_416() {
    let app = spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let project = app.create_project(&ada, json!({"name": "Files"})).await;
    let uploads = format!(
        "/api/projects/{}/attachments",
        project["id"].as_str().unwrap()
    );
    let created = app
        .upload(
            &uploads,
            &ada.token,
            form(&[("file", Some("t.txt"), None, b"0123456789")]),
        )
        .await
        .ok(201);
    let download = format!(
        "{uploads}/{}",
        created["attachment"]["id"].as_str().unwrap()
    );
    let ranged = |range: &'static str| {
        actix_web::test::TestRequest::get()
            .uri(&download)
            .insert_header(("authorization", format!("Bearer {}", ada.token)))
            .insert_header(("range", range))
    };
    let part = app.call(ranged("bytes=2-4")).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes.as_ref(), b"234");
    assert_eq!(part.header("content-range").unwrap(), "bytes 2-4/10");
    let tail = app.call(ranged("bytes=-3")).await;
    assert_eq!(tail.bytes.as_ref(), b"789");
    let beyond = app.call(ranged("bytes=10-")).await;
    beyond.error(416, "Range not satisfiable");
    assert_eq!(beyond.header("content-range").unwrap(), "bytes */10");
    let several = app.call(ranged("bytes=0-1,3-4")).await;
    assert_eq!(several.status, StatusCode::OK);
    assert_eq!(several.bytes.as_ref(), b"0123456789");
}
