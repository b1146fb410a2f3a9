#!/usr/bin/env bash
# Load-tests GET /api/v1/health through nginx with wrk (every request is a PostgreSQL and a Redis
# round trip in sattva-fcgi). Needs the stack from `./sattva up`.
#
#   BENCH_URL          default http://127.0.0.1:8080/api/v1/health
#   BENCH_DURATION     seconds, default 10
#   BENCH_CONNECTIONS  default 32
#   BENCH_THREADS      default 2
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

url="${BENCH_URL:-http://127.0.0.1:8080/api/v1/health}"
duration="${BENCH_DURATION:-10}"
connections="${BENCH_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"

for v in duration connections threads; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v^^} must be a positive integer, got '${!v}'"
done
((connections >= threads)) || threads="$connections"

command -v wrk >/dev/null || ensure_packages wrk

code="$(http_code "$url")"
if [[ "$code" != 200 ]]; then
  if [[ "$code" == 000 ]]; then
    die "nothing answers at $url: start the stack first with ./sattva up"
  fi
  die "$url answered $code, not 200: the stack is not healthy (see ./sattva status)"
fi

say "wrk: ${duration}s, $threads threads, $connections connections -> $url"
wrk --latency -t "$threads" -c "$connections" -d "${duration}s" \
  -s "$ROOT/bench/lib/latency.lua" "$url"
