# syntax=docker/dockerfile:1
# Build: docker build -t trellis .    Run: see docker-compose.yml
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY crates ./crates
COPY migrations ./migrations
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin trellis \
 && cp target/release/trellis /usr/local/bin/trellis

FROM debian:bookworm-slim AS runtime
# ca-certificates: the roots for DB_SSLMODE=require/verify-full; curl: the healthcheck. Unpinned on
# purpose (see .hadolint.yaml, DL3008).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 trellis \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin trellis \
 && mkdir -p /var/lib/trellis/attachments \
 && chown -R 10001:10001 /var/lib/trellis
COPY --from=builder /usr/local/bin/trellis /usr/local/bin/trellis
# Numeric, so that runtimes that check for a non-root user without reading /etc/passwd
# (Kubernetes runAsNonRoot) can tell.
USER 10001:10001
# SHUTDOWN_DELAY_SECS: on SIGTERM, a lame-duck delay before shutting down (time for load balancers
# to stop sending), then up to SHUTDOWN_TIMEOUT_SECS (10) for in-flight requests: a stop grace
# period must cover both (docker-compose.yml: stop_grace_period).
# Attachments' bytes: a volume here, or STORAGE_URL=s3://bucket/prefix for several instances.
ENV APP_ENV=production \
    STORAGE_URL=file:///var/lib/trellis/attachments \
    HOST=0.0.0.0 \
    PORT=3000 \
    SHUTDOWN_DELAY_SECS=5
VOLUME ["/var/lib/trellis/attachments"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["sh", "-c", "curl -fsS http://127.0.0.1:3000/health || exit 1"]
ENTRYPOINT ["/usr/local/bin/trellis"]
CMD ["serve"]
