-- Shared by every scenario script: at the end of a run, one machine-readable
-- line for bench/run.sh. Latencies are in microseconds. `status_errors` is
-- wrk's "Non-2xx or 3xx responses" (status 400 and above), `socket_errors`
-- the sum of connect, read, write and timeout errors.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d p999_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
