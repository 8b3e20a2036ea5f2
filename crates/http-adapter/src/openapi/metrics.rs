//! `GET /metrics`, served by the hardening layer rather than a route of
//! this crate, so its operation is described here by hand.

use utoipa::Modify;
use utoipa::openapi::{
    Content, HttpMethod, OpenApi, ResponseBuilder,
    path::OperationBuilder,
    schema::{ObjectBuilder, Type},
};

/// The content type of the OpenMetrics text exposition format.
const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Adds `GET /metrics` to the document.
#[derive(Debug)]
pub(super) struct MetricsEndpoint;

impl Modify for MetricsEndpoint {
    fn modify(&self, doc: &mut OpenApi) {
        let mut text = Content::new(Some(ObjectBuilder::new().schema_type(Type::String)));
        text.example = Some(
            "# TYPE http_requests counter\nhttp_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n# EOF\n"
                .into(),
        );
        let operation = OperationBuilder::new()
            .tag("health")
            .operation_id(Some("metrics"))
            .summary(Some("Prometheus metrics"))
            .description(Some(
                "Request counts and latencies, in-flight requests, pool and rate-limiter \
                 gauges, in the OpenMetrics text format (which Prometheus scrapes).",
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The current metrics.")
                    .content(OPENMETRICS_TEXT, text),
            );
        doc.paths
            .add_path_operation("/metrics", vec![HttpMethod::Get], operation);
    }
}
