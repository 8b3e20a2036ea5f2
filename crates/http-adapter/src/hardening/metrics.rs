//! `GET /metrics`: the OpenMetrics text exposition, by `prometheus-client`.
//!
//! Requests are labelled by the matched route *template*
//! (`/api/projects/{id}`, however the path was spelled), `unmatched` for
//! 404s, and by method (`OTHER` for anything outside the standard set),
//! never by raw path: a client cannot create series at will. The pool and
//! rate-limiter figures are read from their owners at each scrape.

use crate::route::Route;
use actix_web::{
    Error, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::Histogram,
    },
    registry::Registry,
};
use std::{fmt, sync::Arc, time::Instant};
use trellis_ports::{HealthService, RequestLimiter};

/// Upper bounds of the latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The process's HTTP metrics, shared by every worker.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    in_flight: Gauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("in_flight", &self.in_flight.get())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The HTTP metrics, with no pool or rate limiter to report on.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        let in_flight = Gauge::default();
        registry.register("http_requests", "Requests answered.", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to its response head.",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being served.",
            in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
        }
    }

    /// Also reports the connection pool `health` knows of (`db_pool_*`).
    pub fn with_health(mut self, health: Arc<dyn HealthService>) -> Self {
        self.registry
            .register_collector(Box::new(PoolCollector(health)));
        self
    }

    /// Also reports the rejections of `limiter` and whether it counts in a
    /// fallback store (`rate_limit_*`).
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RequestLimiter>) -> Self {
        self.registry
            .register_collector(Box::new(LimiterCollector(limiter)));
        self
    }

    /// Records one answered request.
    fn observe(&self, method: &'static str, route: &Route, status: u16, started: Instant) {
        let route = route.label().to_owned();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// The exposition, in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Gauges of the connection pool, read at each scrape.
struct PoolCollector(Arc<dyn HealthService>);

impl fmt::Debug for PoolCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PoolCollector")
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let Some(stats) = self.0.pool_stats() else {
            return Ok(());
        };
        for (name, help, value) in [
            (
                "db_pool_max_connections",
                "Most connections the pool opens.",
                stats.max_size,
            ),
            ("db_pool_connections", "Connections open.", stats.size),
            (
                "db_pool_idle_connections",
                "Open connections not in use.",
                stats.available,
            ),
            (
                "db_pool_waiting_requests",
                "Requests waiting for a connection.",
                stats.waiting,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// The rate limiter's figures, read at each scrape.
struct LimiterCollector(Arc<dyn RequestLimiter>);

impl fmt::Debug for LimiterCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LimiterCollector")
    }
}

impl Collector for LimiterCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let stats = self.0.stats();
        let rejections = ConstCounter::new(stats.rejections);
        rejections.encode(encoder.encode_descriptor(
            "rate_limit_rejections",
            "Requests refused with 429 by the rate limiter.",
            None,
            rejections.metric_type(),
        )?)?;
        let fallback = ConstGauge::new(i64::from(stats.fallback_active));
        fallback.encode(encoder.encode_descriptor(
            "rate_limit_fallback_active",
            "1 while the shared rate-limit store (Redis) fails and this instance counts in its own memory.",
            None,
            fallback.metric_type(),
        )?)
    }
}

/// The method label: the standard methods by name, anything else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// The handler of `GET /metrics`; needs `web::Data<Metrics>` in the app data
/// (`web::Data::from(arc)`).
pub async fn metrics_endpoint(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics.render())
}

/// Middleware feeding [`Metrics`] with every request that crosses it: what
/// the client actually got, rejections of the layers inside included.
pub(crate) async fn record(
    metrics: Arc<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = Route::of(&req);
    // Counted until dropped: also when the client hangs up mid-request.
    metrics.in_flight.inc();
    let _in_flight = InFlight(&metrics.in_flight);
    let outcome = next.call(req).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    metrics.observe(method, &route, status.as_u16(), started);
    outcome
}

struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_methods_are_folded() {
        let custom = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }
}
