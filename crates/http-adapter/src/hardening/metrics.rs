//! `GET /metrics`: Prometheus text exposition, written by hand.
//!
//! Requests are labelled by the matched route *template*
//! (`/api/projects/{id}`), `unmatched` for 404s, and by method (`OTHER` for
//! anything outside the standard set), never by raw path: a client cannot
//! create series at will. Recording a request is a read lock and a few
//! relaxed atomic adds once its series exists.

use crate::route::Route;
use actix_web::{
    Error, HttpResponse,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{Method, header},
    web,
};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use std::{
    collections::HashMap,
    fmt::{self, Write as _},
    hash::Hash,
    rc::Rc,
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use trellis_ports::{RequestLimiter, StoreHealth};

/// Upper bounds of the latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

type RouteKey = (&'static str, String);

/// The process's HTTP metrics, shared by every worker.
#[derive(Default)]
pub struct Metrics {
    requests: Family<(&'static str, String, u16), AtomicU64>,
    latency: Family<RouteKey, Histogram>,
    in_flight: AtomicI64,
    store: Option<Arc<dyn StoreHealth>>,
    rate_limiter: Option<Arc<dyn RequestLimiter>>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Empty metrics, with no pool or rate limiter to report on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also reports the connection pool of `store` (`db_pool_*`).
    pub fn with_store(mut self, store: Arc<dyn StoreHealth>) -> Self {
        self.store = Some(store);
        self
    }

    /// Also reports the rejections of `limiter` (`rate_limit_rejections_total`).
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RequestLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Records one answered request.
    pub fn observe(&self, method: &Method, route: &Route, status: u16, latency: Duration) {
        let method = method_label(method);
        let route = route.label().to_owned();
        self.latency.with((method, route.clone()), |histogram| {
            histogram.observe(latency)
        });
        self.requests.with((method, route, status), |count| {
            count.fetch_add(1, Ordering::Relaxed);
        });
    }

    /// The exposition, in Prometheus text format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> fmt::Result {
        header_lines(out, "http_requests_total", "counter", "Requests answered.")?;
        for ((method, route, status), count) in self.requests.sorted() {
            writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                Escaped(&route),
                count.load(Ordering::Relaxed)
            )?;
        }
        header_lines(
            out,
            "http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its response head.",
        )?;
        for ((method, route), histogram) in self.latency.sorted() {
            let labels = format!("method=\"{method}\",route=\"{}\"", Escaped(&route));
            histogram.write(out, "http_request_duration_seconds", &labels)?;
        }
        header_lines(
            out,
            "http_requests_in_flight",
            "gauge",
            "Requests being served.",
        )?;
        writeln!(
            out,
            "http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        )?;
        if let Some(stats) = self.store.as_ref().and_then(|store| store.pool_stats()) {
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
                header_lines(out, name, "gauge", help)?;
                writeln!(out, "{name} {value}")?;
            }
        }
        if let Some(limiter) = &self.rate_limiter {
            header_lines(
                out,
                "rate_limit_rejections_total",
                "counter",
                "Requests refused with 429 by the rate limiter.",
            )?;
            let stats = limiter.stats();
            writeln!(out, "rate_limit_rejections_total {}", stats.rejections)?;
            header_lines(
                out,
                "rate_limit_fallback_active",
                "gauge",
                "1 while the shared rate-limit store (Redis) fails and this instance counts in its own memory.",
            )?;
            writeln!(
                out,
                "rate_limit_fallback_active {}",
                u8::from(stats.fallback_active)
            )?;
        }
        Ok(())
    }
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} {kind}")
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

/// A label value with `\`, `"` and newlines escaped.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Series of one metric, by label set. A series is created on first use and
/// then only read-locked.
struct Family<K, V> {
    series: RwLock<HashMap<K, Arc<V>>>,
}

impl<K, V> Default for Family<K, V> {
    fn default() -> Self {
        Self {
            series: RwLock::default(),
        }
    }
}

impl<K: Hash + Eq + Ord + Clone, V: Default> Family<K, V> {
    fn with(&self, key: K, update: impl FnOnce(&V)) {
        let existing = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let series = existing.unwrap_or_else(|| {
            let mut all = self.series.write().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(all.entry(key).or_default())
        });
        update(&series);
    }

    fn sorted(&self) -> Vec<(K, Arc<V>)> {
        let mut all: Vec<_> = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(key, value)| (key.clone(), Arc::clone(value)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

/// A latency histogram: a count per bucket (not cumulative; summed when
/// written), the overflow, and the sum in microseconds.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    overflow: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .map_or(&self.overflow, |index| &self.buckets[index]);
        slot.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) -> fmt::Result {
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += count.load(Ordering::Relaxed);
            writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}")?;
        }
        cumulative += self.overflow.load(Ordering::Relaxed);
        writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}")?;
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        writeln!(out, "{name}_sum{{{labels}}} {sum}")?;
        writeln!(out, "{name}_count{{{labels}}} {cumulative}")
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

/// Middleware feeding [`Metrics`] with every request that crosses it.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    metrics: Arc<Metrics>,
}

impl HttpMetrics {
    /// Records into `metrics`; share one `Metrics` between all workers.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for HttpMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = HttpMetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HttpMetricsMiddleware {
            service: Rc::new(service),
            metrics: Arc::clone(&self.metrics),
        }))
    }
}

/// The service [`HttpMetrics`] wraps around the app.
#[derive(Debug)]
pub struct HttpMetricsMiddleware<S> {
    service: Rc<S>,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<ServiceRequest> for HttpMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let in_flight = InFlight::enter(Arc::clone(&self.metrics));
        let method = req.method().clone();
        let route = Route::of(&req);
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let outcome = service.call(req).await;
            let status = match &outcome {
                Ok(response) => response.status(),
                Err(error) => error.as_response_error().status_code(),
            };
            in_flight
                .metrics
                .observe(&method, &route, status.as_u16(), started.elapsed());
            outcome
        })
    }
}

/// Counts a request in flight until dropped (also when the client hangs up
/// and its future is dropped unfinished).
struct InFlight {
    metrics: Arc<Metrics>,
}

impl InFlight {
    fn enter(metrics: Arc<Metrics>) -> Self {
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        Self { metrics }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let histogram = Histogram::default();
        for millis in [0, 3, 3, 40, 20_000] {
            histogram.observe(Duration::from_millis(millis));
        }
        let mut out = String::new();
        histogram.write(&mut out, "h", "a=\"b\"").unwrap();
        assert!(out.contains("h_bucket{a=\"b\",le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"0.005\"} 3\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"0.05\"} 4\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"10\"} 4\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"+Inf\"} 5\n"), "{out}");
        assert!(out.contains("h_sum{a=\"b\"} 20.046\n"), "{out}");
        assert!(out.contains("h_count{a=\"b\"} 5\n"), "{out}");
    }

    #[test]
    fn labels_are_escaped_and_odd_methods_folded() {
        assert_eq!(Escaped("a\"b\\c\nd").to_string(), "a\\\"b\\\\c\\nd");
        let custom = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
    }
}
