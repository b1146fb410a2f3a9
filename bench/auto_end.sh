#!/usr/bin/env bash
# Measures how punctually auto-end ends a stream nobody listens to: over BENCH_RUNS runs (20), the
# error of the actual end against the countdown's deadline. Target: max |error| <= 1000 ms
# (BENCH_TARGET_MAX_ERROR_MS). Needs `./sattva up`.
#
# Each run is one stream, bench-ae-K (K = 1..BENCH_RUNS), created through the API or reused (then
# PATCHed): auto_end_enabled true, auto_end_timeout_s BENCH_TIMEOUT_S (default 10, the minimum),
# no placeholder of its own (the default placeholder plays), no listener. The streams are started
# BENCH_STAGGER_MS apart (the runs overlap, which keeps the bench short and has the streamer end
# several streams close together). For each run:
#
#   deadline = deadline_ms of the countdown hash sattva:stream:{id}:auto_end (wall ms, written by
#              the streamer when the count of listeners is 0), polled every BENCH_POLL_MS while
#              the countdown is armed; it must equal zero_since_ms + timeout_s * 1000
#   end      = the ms part of the id of the stream's sattva:events entry of type stream_update
#              with data.event "stopped" and data.reason "auto_end" (Redis's wall clock)
#   error    = end - deadline (> 0: ended late; < 0: early)
#
# and, once it ended, GET /api/v1/streams/{id} must show desired_state "stopped" (the stream no
# longer asks to run) and end_reason "auto_end" (its last session ended by auto-end). Streamer,
# Redis and the bench share the machine's clock, so the two wall clocks are one.
#
# Setup, idempotent: the bench admin and a fresh API token (bench/lib/bench_setup.sh, deleted on
# exit). Bench streams found running are stopped first, and a countdown hash left for a stopped
# one (a streamer that died mid-countdown) is deleted, so every run starts a fresh countdown. On
# exit, a stream of this run that has not ended is stopped.
#
#   BENCH_BASE_URL        default http://127.0.0.1:8080
#   BENCH_RUNS            default 20
#   BENCH_TIMEOUT_S       auto_end_timeout_s of the streams, default 10 (10..86400)
#   BENCH_STAGGER_MS      between the starts, default 250
#   BENCH_POLL_MS         how often the hashes and events are read, default 100
#   BENCH_TARGET_MAX_ERROR_MS  default 1000
#   BENCH_PG_HOST, BENCH_PG_PORT        default 127.0.0.1, 5433 (only for the bench admin's token)
#   BENCH_REDIS_HOST, BENCH_REDIS_PORT  default 127.0.0.1, 6380 (password from var/secrets)
#
# Exits 1 when max |error| is over the target, a run never ends (BENCH_TIMEOUT_S + 30 s after its
# start), its deadline was never seen, or a stream's desired state or end_reason is wrong.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib/bench_setup.sh
source "$ROOT/bench/lib/bench_setup.sh"
# shellcheck source=bench/lib/streamer_api.sh
source "$ROOT/bench/lib/streamer_api.sh"

base_url="${BENCH_BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"
runs="${BENCH_RUNS:-20}"
timeout_s="${BENCH_TIMEOUT_S:-10}"
stagger_ms="${BENCH_STAGGER_MS:-250}"
poll_ms="${BENCH_POLL_MS:-100}"
target_ms="${BENCH_TARGET_MAX_ERROR_MS:-1000}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5433}"
redis_host="${BENCH_REDIS_HOST:-127.0.0.1}"
redis_port="${BENCH_REDIS_PORT:-6380}"

for v in runs timeout_s poll_ms target_ms; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "a BENCH_* setting must be a positive integer: $v='${!v}'"
done
[[ "$stagger_ms" =~ ^[0-9]+$ ]] || die "BENCH_STAGGER_MS must be a whole number, got '$stagger_ms'"
((runs <= 200)) || die "BENCH_RUNS must be at most 200, got $runs"
((timeout_s >= 10 && timeout_s <= 86400)) || die "BENCH_TIMEOUT_S must be 10..86400, got $timeout_s"

readonly BENCH_ADMIN_EMAIL=bench-admin@sattva.test
readonly TOKEN_NAME=bench/auto_end.sh
readonly SLUG_PREFIX=bench-ae-

command -v psql >/dev/null || ensure_packages postgresql-client
command -v redis-cli >/dev/null || ensure_packages redis-tools

# --- is the stack up? -------------------------------------------------------------------------

bench_require_stack "$base_url"
bench_pg_init "$ROOT" "$pg_host" "$pg_port"
[[ "$(sredis "$ROOT" "$redis_host" "$redis_port" PING 2>/dev/null)" == PONG ]] ||
  die "Redis does not answer at $redis_host:$redis_port: start the stack first with ./sattva up"

tmp_dir="$(mktemp -d)"
started_ids=()          # streams this run started
declare -A ended=()     # stream id -> 1 once its auto_end event was seen

cleanup() {
  local id left=()
  for id in "${started_ids[@]}"; do
    [[ -n "${ended[$id]:-}" ]] || left+=("$id")
  done
  if ((${#left[@]})); then
    (sapi_stream_stop_wait 20 "${left[@]}") || warn "could not stop bench streams: ${left[*]}"
  fi
  bench_admin_token_delete
  rm -rf "$tmp_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- bench admin and its API token ------------------------------------------------------------

bench_admin_token "$BENCH_ADMIN_EMAIL" 'Bench admin' "$TOKEN_NAME"
ok "bench admin $BENCH_ADMIN_EMAIL (id $BENCH_ADMIN_ID) with a fresh API token (deleted on exit)"
sapi_init "$base_url" "$BENCH_TOKEN"

# --- streams ----------------------------------------------------------------------------------

say "streams ${SLUG_PREFIX}1..$runs: auto-end on, timeout ${timeout_s}s, no listeners"
sapi_streams_load
fields="\"description\":\"bench/auto_end.sh\",\"placeholder_track_id\":null,\"auto_end_enabled\":true,\"auto_end_timeout_s\":$timeout_s"
ids=() running=() created=0
for ((k = 1; k <= runs; k++)); do
  slug="$SLUG_PREFIX$k"
  if [[ "${SAPI_STREAMS[$slug]:-}" == *' running' ]]; then running+=("${SAPI_STREAMS[$slug]%% *}"); fi
  sapi_stream_ensure "$slug" "Bench auto-end $k" "$fields"
  ids[k]="$SAPI_ID"
  created=$((created + SAPI_CREATED))
done
ok "$runs streams ready: $created created, $((runs - created)) reused (ids ${ids[1]}..${ids[runs]})"
if ((${#running[@]})); then
  note "${#running[@]} of them were asked to run (an earlier run?); stopping them first"
  sapi_stream_stop_wait 30 "${running[@]}"
fi
stale=0
for ((k = 1; k <= runs; k++)); do
  n="$(sredis "$ROOT" "$redis_host" "$redis_port" DEL "sattva:stream:{${ids[k]}}:auto_end")"
  stale=$((stale + ${n:-0}))
done
((stale == 0)) || note "deleted $stale countdown hash(es) left for stopped bench streams"

# redis_ms: Redis's wall clock in ms (what the events' ids are made of).
redis_ms() {
  local t
  mapfile -t t < <(sredis "$ROOT" "$redis_host" "$redis_port" TIME)
  echo $((t[0] * 1000 + 10#${t[1]} / 1000))
}

# --- runs -------------------------------------------------------------------------------------

declare -A idx=() zero=() deadline=() end_ms=() start_ms=()
for ((k = 1; k <= runs; k++)); do idx[${ids[k]}]=$k; done
last_id="$(($(redis_ms) - 1))-0"

say "runs: $runs streams started ${stagger_ms} ms apart; each should end ${timeout_s}s after its countdown arms"
for ((k = 1; k <= runs; k++)); do
  start_ms[$k]="$(now_ms)"
  sapi_expect 200 POST "/api/v1/streams/${ids[k]}/start"
  started_ids+=("${ids[k]}")
  if ((stagger_ms > 0 && k < runs)); then sleep "$(awk -v ms="$stagger_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"; fi
done
give_up=$(($(now_ms) + (timeout_s + 30) * 1000))
poll_s="$(awk -v ms="$poll_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"

# read_countdowns: the hashes of the runs still going; keeps the last deadline seen while armed.
read_countdowns() {
  local pending=() id zs dl
  for ((k = 1; k <= runs; k++)); do
    [[ -n "${end_ms[$k]:-}" ]] || pending+=("$k")
  done
  ((${#pending[@]})) || return 0
  for k in "${pending[@]}"; do
    printf 'HMGET sattva:stream:{%s}:auto_end zero_since_ms deadline_ms\n' "${ids[k]}"
  done | sredis "$ROOT" "$redis_host" "$redis_port" >"$tmp_dir/hashes"
  mapfile -t vals <"$tmp_dir/hashes"
  ((${#vals[@]} == 2 * ${#pending[@]})) || return 0   # a partial answer: read again next time
  local i=0
  for k in "${pending[@]}"; do
    zs="${vals[i]}" dl="${vals[i + 1]}"
    i=$((i + 2))
    if [[ "$zs" =~ ^[0-9]+$ && "$dl" =~ ^[0-9]+$ ]]; then
      zero[$k]="$zs" deadline[$k]="$dl"
    fi
  done
}

# read_events: the new sattva:events entries; records the end of each run's stream.
read_events() {
  local n id type sid data
  while :; do
    sredis "$ROOT" "$redis_host" "$redis_port" XRANGE sattva:events "($last_id" + COUNT 1000 |
      awk '
        function flush() { if (id != "") printf "%s\t%s\t%s\t%s\n", id, f["type"], f["stream_id"], f["data"]; id = ""; split("", f) }
        # An entry id, never a value: values sit at odd positions after it.
        /^[0-9]+-[0-9]+$/ && pos % 2 == 0 { flush(); id = $0; pos = 0; next }
        { if (pos % 2 == 0) key = $0; else f[key] = $0; pos++ }
        END { flush() }' >"$tmp_dir/events"
    n=0
    while IFS=$'\t' read -r id type sid data; do
      n=$((n + 1))
      last_id="$id"
      [[ "$type" == stream_update && -n "${idx[$sid]:-}" ]] || continue
      [[ "$data" == *'"event":"stopped"'* ]] || continue
      k="${idx[$sid]}"
      if [[ "$data" == *'"reason":"auto_end"'* ]]; then
        end_ms[$k]="${id%-*}"
        ended[$sid]=1
      else
        end_ms[$k]="x${id%-*}"   # stopped for another reason: a failed run
        ended[$sid]=1
        warn "stream $sid (${SLUG_PREFIX}$k) stopped, but not by auto-end: $data"
      fi
    done <"$tmp_dir/events"
    ((n >= 1000)) || break
  done
}

while :; do
  read_countdowns
  read_events
  done_runs=0
  for ((k = 1; k <= runs; k++)); do [[ -n "${end_ms[$k]:-}" ]] && done_runs=$((done_runs + 1)); done
  ((done_runs < runs)) || break
  if (($(now_ms) > give_up)); then
    warn "$((runs - done_runs)) run(s) did not end within $((timeout_s + 30))s of their start"
    break
  fi
  sleep "$poll_s"
done
ok "$done_runs of $runs runs ended"

# --- checks through the API ------------------------------------------------------------------

declare -A desired=() reason=()
for ((k = 1; k <= runs; k++)); do
  sapi_expect 200 GET "/api/v1/streams/${ids[k]}"
  desired[$k]="$(json_str desired_state <<<"$sapi_body")"
  reason[$k]="$(json_str end_reason <<<"$sapi_body")"
  [[ -n "${reason[$k]}" ]] || reason[$k]=null
done

# --- summary ----------------------------------------------------------------------------------

echo
printf -- '--- auto-end bench: %s runs, auto_end_timeout_s %s, starts %s ms apart, no listeners ---\n' \
  "$runs" "$timeout_s" "$stagger_ms"
printf 'armed = zero_since_ms - the start request (bench clock); deadline = deadline_ms of the countdown hash;\n'
printf 'end = ms part of the stream_update "stopped"/"auto_end" event id; error = end - deadline (ms)\n'
printf '%4s %6s %-12s %9s %15s %15s %9s %-10s %-10s %s\n' run stream slug 'armed ms' deadline end 'error ms' desired end_reason result
failed=0 errors=()
for ((k = 1; k <= runs; k++)); do
  res=ok dl="${deadline[$k]:-}" zs="${zero[$k]:-}" e="${end_ms[$k]:-}" err=- armed=-
  [[ -n "$zs" ]] && armed=$((zs - ${start_ms[$k]}))
  if [[ -z "$dl" ]]; then
    res="FAIL: deadline never seen"
  elif ((dl != zs + timeout_s * 1000)); then
    res="FAIL: deadline != zero_since + ${timeout_s}s"
  fi
  if [[ -z "$e" ]]; then
    res="FAIL: did not end"
    e=-
  elif [[ "$e" == x* ]]; then
    res="FAIL: stopped, not by auto-end"
    e="${e#x}"
  elif [[ -n "$dl" ]]; then
    err=$((e - dl))
    errors+=("$err")
  fi
  [[ "${desired[$k]}" == stopped ]] || res="FAIL: desired_state ${desired[$k]}"
  [[ "${reason[$k]}" == auto_end ]] || res="FAIL: end_reason ${reason[$k]}"
  [[ "$res" == ok ]] || failed=1
  printf '%4s %6s %-12s %9s %15s %15s %9s %-10s %-10s %s\n' "$k" "${ids[k]}" "$SLUG_PREFIX$k" "$armed" \
    "${dl:--}" "$e" "$err" "${desired[$k]}" "${reason[$k]}" "$res"
done
echo
if ((${#errors[@]})); then
  read -r mn mean mx maxabs <<<"$(printf '%s\n' "${errors[@]}" | awk '
    NR == 1 { mn = $1; mx = $1 }
    { s += $1; if ($1 < mn) mn = $1; if ($1 > mx) mx = $1; a = $1 < 0 ? -$1 : $1; if (a > ma) ma = a }
    END { printf "%d %.1f %d %d\n", mn, s / NR, mx, ma }')"
  printf 'error over %s runs: min %s ms, mean %s ms, max %s ms; max |error| %s ms (target <= %s ms)\n' \
    "${#errors[@]}" "$mn" "$mean" "$mx" "$maxabs" "$target_ms"
  ((maxabs <= target_ms)) || failed=1
else
  printf 'error: no run with both a deadline and an auto-end event\n'
  failed=1
fi
if ((failed)); then
  printf 'result: FAIL (max |error| over %s ms, or a run that failed a check above)\n' "$target_ms"
  exit 1
fi
printf 'result: PASS (all %s runs ended by auto-end within %s ms of the deadline; desired_state stopped, end_reason auto_end)\n' \
  "$runs" "$target_ms"
