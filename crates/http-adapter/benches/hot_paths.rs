//! Micro-benchmarks of the pure-CPU work on Trellis's busiest request paths:
//! verifying a bearer token (every authenticated request; first and again),
//! rendering a page of 20 projects (`GET /api/projects`), and reading and
//! validating a project body (`POST /api/projects`).
//!
//! ```sh
//! cargo bench -p trellis-http --bench hot_paths
//! ```

use divan::{Bencher, black_box};
use std::time::Duration;
use time::{Date, Month, OffsetDateTime};
use trellis_domain::{
    Budget, Deadline, Description, Email, FullName, Page, PageRequest, Project, ProjectId,
    ProjectName, ProjectStatus, Role, SessionId, User, UserId,
};
use trellis_http::{
    TokenKeys,
    body::{Fields, FromFields},
    dto::{NewProjectBody, PageView, ProjectView},
};

fn main() {
    divan::main();
}

const SECRET: &[u8] = b"trellis-benchmark-secret-of-at-least-32-bytes";

/// `AuthUser`'s work: an HS256 signature check and the claims' decoding.
#[divan::bench]
fn jwt_verify(bencher: Bencher) {
    let (keys, token) = keys_and_token();
    assert!(keys.verify(&token).is_ok(), "the token must verify");
    bencher.bench_local(|| keys.verify(black_box(&token)));
}

/// `AuthUser`'s work for a token this thread verified before: a lookup
/// and the expiry check.
#[divan::bench]
fn jwt_remembered(bencher: Bencher) {
    let (keys, token) = keys_and_token();
    assert!(keys.actor(&token).is_ok(), "the token must verify");
    bencher.bench_local(|| keys.actor(black_box(&token)));
}

/// The body of `GET /api/projects?limit=20`: 20 full projects and the page
/// fields, from domain values to JSON bytes.
#[divan::bench]
fn render_project_page(bencher: Bencher) {
    let owner = UserId::generate();
    let projects: Vec<Project> = (1..=20).map(|n| project(owner, n)).collect();
    let request = PageRequest::new(1, 20).expect("page 1 of 20 is valid");
    bencher
        .with_inputs(|| Page {
            items: projects.clone(),
            total: 10_000,
            request,
        })
        .bench_local_values(|page| {
            let view: PageView<ProjectView> = page.into();
            serde_json::to_vec(&view)
        });
}

/// `POST /api/projects`'s body: JSON to fields to a draft to a valid
/// `NewProject` (as the service finishes it), with every field present.
#[divan::bench]
fn validate_project_body(bencher: Bencher) {
    let body = br#"{"name":"Bench project","description":"Created by the benchmark","status":"active","budget":1234.5,"deadline":"2030-06-30"}"#;
    let today = OffsetDateTime::now_utc().date();
    let parse = |bytes: &[u8]| {
        Fields::from_json(bytes)
            .ok()
            .and_then(|fields| NewProjectBody::from_fields(fields).ok())
            .and_then(|body| body.0.into_new_project(today).ok())
    };
    assert!(parse(body).is_some(), "the body must be valid");
    bencher.bench_local(|| parse(black_box(body)));
}

/// Keys valid for a day, and a token they issued just now.
fn keys_and_token() -> (TokenKeys, String) {
    let keys = TokenKeys::new(SECRET, Duration::from_secs(24 * 3600));
    let token = keys
        .issue(&user(), SessionId::generate(), OffsetDateTime::now_utc())
        .expect("a token is issued");
    (keys, token)
}

fn user() -> User {
    let now = OffsetDateTime::now_utc();
    User {
        id: UserId::generate(),
        email: Email::parse("bench@example.com").expect("valid e-mail"),
        full_name: FullName::parse("Bench User").expect("valid name"),
        role: Role::User,
        created_at: now,
        updated_at: now,
    }
}

fn project(owner: UserId, n: u32) -> Project {
    let now = OffsetDateTime::now_utc();
    Project {
        id: ProjectId::generate(),
        user_id: owner,
        name: ProjectName::parse(&format!("Project {n}")).expect("valid name"),
        description: Some(
            Description::parse("Seeded for the benchmark, a typical sentence.")
                .expect("valid description"),
        ),
        status: ProjectStatus::Active,
        budget: Some(Budget::from_cents(123_450 + i64::from(n)).expect("valid budget")),
        deadline: Some(Deadline::new(
            Date::from_calendar_date(2030, Month::June, 30).expect("valid date"),
        )),
        created_at: now,
        updated_at: now,
    }
}
