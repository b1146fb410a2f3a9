-- wrk script for Sattva benchmarks: counts non-2xx responses across all threads and prints a
-- stable, grep-able summary (one "key: value" per line) after wrk's own report.

-- Every wrk thread, in setup order. Each gets the global thread_index (0, 1, ...), so scripts
-- built on this one can start their threads at different places in their request lists.
bench_threads = {}

function setup(thread)
  thread:set("thread_index", #bench_threads)
  table.insert(bench_threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(bench_threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write("--- sattva bench summary ---\n")
  io.write(string.format("duration_s: %.2f\n", seconds))
  io.write(string.format("requests: %d\n", summary.requests))
  io.write(string.format("requests/s: %.1f\n", summary.requests / seconds))
  io.write(string.format("p50: %.2f ms\n", latency:percentile(50) / 1000))
  io.write(string.format("p90: %.2f ms\n", latency:percentile(90) / 1000))
  io.write(string.format("p99: %.2f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("max: %.2f ms\n", latency.max / 1000))
  io.write(string.format("non-2xx: %d\n", non2xx_total))
  io.write(string.format("socket_errors: connect=%d read=%d write=%d timeout=%d\n",
                         e.connect, e.read, e.write, e.timeout))
end
