//! `GET /metrics` after some traffic, parsed strictly as Prometheus text.

use crate::helpers::{Setup, peer, spawn_with};
use actix_web::{http::Method, test::TestRequest};
use async_trait::async_trait;
use serde_json::json;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use trellis_http::hardening::Metrics;
use trellis_ports::{PoolStats, RepositoryError, StoreHealth};
use trellis_services::RateLimitPolicy;

struct FakePool;

#[async_trait]
impl StoreHealth for FakePool {
    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(PoolStats {
            max_size: 20,
            size: 5,
            available: 3,
            waiting: 1,
        })
    }
}

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the OpenMetrics text format strictly: it ends with `# EOF`,
/// every sample belongs to a family whose `# TYPE` came first (a counter's
/// samples end in `_total`), label values are quoted and escaped.
fn parse(text: &str) -> Vec<Sample> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    let body = text
        .strip_suffix("# EOF\n")
        .unwrap_or_else(|| panic!("no # EOF at the end:\n{text}"));
    for line in body.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(_), Some(help)) => assert!(!help.is_empty()),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                    types.insert(name.to_owned(), kind.to_owned());
                }
                _ => panic!("bad comment: {line}"),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(inner) => parse_labels(inner, line),
            None => (BTreeMap::new(), &line[name_end..]),
        };
        let value = rest
            .trim()
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let family = [
            ("_bucket", "histogram"),
            ("_sum", "histogram"),
            ("_count", "histogram"),
            ("_total", "counter"),
        ]
        .iter()
        .find_map(|(suffix, of)| {
            name.strip_suffix(suffix)
                .filter(|base| types.get(*base).is_some_and(|kind| kind == of))
        })
        .unwrap_or(name);
        if types.get(family).is_some_and(|kind| kind == "counter") {
            assert!(
                name.ends_with("_total"),
                "a counter sample without _total: {line}"
            );
        }
        assert!(types.contains_key(family), "sample before its TYPE: {line}");
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// `k="v",k2="v2"}rest` → the labels and `rest`.
fn parse_labels<'a>(inner: &'a str, line: &str) -> (BTreeMap<String, String>, &'a str) {
    let bytes = inner.as_bytes();
    let mut labels = BTreeMap::new();
    let mut at = 0;
    loop {
        let eq = at
            + inner[at..]
                .find("=\"")
                .unwrap_or_else(|| panic!("no value: {line}"));
        let key = &inner[at..eq];
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut value = String::new();
        let mut j = eq + 2;
        loop {
            match bytes[j] {
                b'\\' => {
                    value.push(match bytes[j + 1] {
                        b'n' => '\n',
                        other => char::from(other),
                    });
                    j += 2;
                }
                b'"' => {
                    j += 1;
                    break;
                }
                _ => {
                    let c = inner[j..].chars().next().unwrap();
                    value.push(c);
                    j += c.len_utf8();
                }
            }
        }
        labels.insert(key.to_owned(), value);
        match bytes[j] {
            b',' => at = j + 1,
            b'}' => return (labels, &inner[j + 1..]),
            _ => panic!("bad label list: {line}"),
        }
    }
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    samples.iter().find(|sample| {
        sample.name == name
            && sample.labels.len() == labels.len()
            && labels
                .iter()
                .all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    find(samples, name, labels)
        .unwrap_or_else(|| panic!("no {name}{labels:?}"))
        .value
}

#[actix_web::test]
async fn the_exposition_counts_by_route_template_whatever_the_spelling() {
    let app = spawn_with(Setup {
        limits: Some(RateLimitPolicy {
            max: 3,
            auth_max: 10,
            window: Duration::from_secs(60),
        }),
        health: Some(Arc::new(FakePool)),
        broken_hasher: true,
        ..Setup::default()
    })
    .await;
    for (method, uri, from, status) in [
        (Method::GET, "/api/projects/abc", 1, 401),
        (Method::GET, "/%61pi/projects/def", 1, 401),
        (Method::GET, "/api/projects/ghi", 1, 401),
        (Method::GET, "/api/projects/jkl", 1, 429),
        (Method::GET, "/nowhere/secret-path", 1, 404),
        (Method::POST, "/api/logi%6E", 2, 500),
    ] {
        let mut request = TestRequest::default()
            .method(method)
            .uri(uri)
            .peer_addr(peer(from));
        if status == 500 {
            request = request.set_json(json!({"email": "a@example.com", "password": "x"}));
        }
        assert_eq!(app.call(request).await.status.as_u16(), status, "{uri}");
    }
    let brew = TestRequest::default()
        .method(Method::from_bytes(b"BREW").unwrap())
        .uri("/coffee");
    app.call(brew).await;

    let reply = app.call(TestRequest::get().uri("/metrics")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = String::from_utf8(reply.bytes.to_vec()).unwrap();
    for raw in [
        "abc",
        "def",
        "ghi",
        "secret-path",
        "coffee",
        "BREW",
        "%61",
        "%6E",
    ] {
        assert!(!text.contains(raw), "raw {raw} in the exposition:\n{text}");
    }
    let samples = parse(&text);
    let route = ("route", "/api/projects/{id}");
    let total = "http_requests_total";
    let get = ("method", "GET");
    assert_eq!(
        value(&samples, total, &[get, route, ("status", "401")]),
        3.0
    );
    assert_eq!(
        value(&samples, total, &[get, route, ("status", "429")]),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            total,
            &[get, ("route", "unmatched"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            total,
            &[
                ("method", "POST"),
                ("route", "/api/login"),
                ("status", "500")
            ]
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            total,
            &[
                ("method", "OTHER"),
                ("route", "unmatched"),
                ("status", "404")
            ]
        ),
        1.0
    );

    let histogram = "http_request_duration_seconds";
    let labels = [get, route];
    assert_eq!(value(&samples, &format!("{histogram}_count"), &labels), 4.0);
    let sum = value(&samples, &format!("{histogram}_sum"), &labels);
    assert!(sum > 0.0 && sum < 4.0, "{sum}");
    let buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| {
            s.name == format!("{histogram}_bucket")
                && s.labels.get("route").map(String::as_str) == Some(route.1)
        })
        .map(|s| {
            let le = s.labels["le"].as_str();
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (bound, s.value)
        })
        .collect();
    assert_eq!(buckets.first().map(|b| b.0), Some(0.001));
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, 4.0)));
    assert!(
        buckets
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0 && pair[0].1 <= pair[1].1)
    );

    assert_eq!(
        value(&samples, "http_requests_in_flight", &[]),
        1.0,
        "the /metrics request itself"
    );
    assert_eq!(value(&samples, "db_pool_max_connections", &[]), 20.0);
    assert_eq!(value(&samples, "db_pool_connections", &[]), 5.0);
    assert_eq!(value(&samples, "db_pool_idle_connections", &[]), 3.0);
    assert_eq!(value(&samples, "db_pool_waiting_requests", &[]), 1.0);
    assert_eq!(value(&samples, "rate_limit_rejections_total", &[]), 1.0);
    assert_eq!(value(&samples, "rate_limit_fallback_active", &[]), 0.0);
}

#[test]
fn without_a_pool_or_limiter_those_families_are_absent() {
    let text = Metrics::new().render();
    let samples = parse(&text);
    assert_eq!(value(&samples, "http_requests_in_flight", &[]), 0.0);
    assert!(!text.contains("db_pool"));
    assert!(!text.contains("rate_limit"));
}
