//! `GET /metrics`, served by the hardening layer rather than a route of
//! this crate, so its operation is described here by hand.

use utoipa::Modify;
use utoipa::openapi::{
    Content, HttpMethod, OpenApi, ResponseBuilder,
    path::OperationBuilder,
    schema::{ObjectBuilder, Type},
};

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Adds `GET /metrics` to the document.
#[derive(Debug)]
pub(super) struct MetricsEndpoint;

impl Modify for MetricsEndpoint {
    fn modify(&self, doc: &mut OpenApi) {
        let mut text = Content::new(Some(ObjectBuilder::new().schema_type(Type::String)));
        text.example = Some(
            "# TYPE http_requests_total counter\nhttp_requests_total{method=\"GET\",status=\"200\"} 1\n"
                .into(),
        );
        let operation = OperationBuilder::new()
            .tag("health")
            .operation_id(Some("metrics"))
            .summary(Some("Prometheus metrics"))
            .description(Some(
                "Request counts and latencies, in-flight requests, pool and rate-limiter \
                 gauges, in the Prometheus text format.",
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The current metrics.")
                    .content(PROMETHEUS_TEXT, text),
            );
        doc.paths
            .add_path_operation("/metrics", vec![HttpMethod::Get], operation);
    }
}
