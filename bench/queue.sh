#!/usr/bin/env bash
# Load-tests the queue API through nginx with wrk (issue 4): GET on a 100-item queue, POST add (paired
# with removals so the queue stays at 100 items) and POST move. Targets, at 2,000 requests/s:
# p99 <= 5 ms for reads and <= 10 ms for writes, with no non-2xx answer. Needs `./sattva up`.
#
# Setup, all idempotent: a bench admin (bench-admin@sattva.test) and a fresh API token for the run,
# both made directly in PostgreSQL (bench/lib/bench_setup.sh; the token is deleted on exit);
# BENCH_TRACKS tracks seeded in SQL (source /bench/track-N.mp3; never played: the stream stays
# stopped); the stream "bench-queue", created through the API when missing. Before every wrk run
# the queue is cleared and refilled to BENCH_QUEUE_LENGTH items with one POST.
#
# wrk runs a closed loop (Debian's wrk has no fixed-rate option): each connection sends its next
# request when the previous answer arrives, so the rate is whatever the stack sustains at that
# concurrency. Each scenario runs once per connection count in BENCH_SWEEP; the verdict takes the
# fewest connections that reach BENCH_TARGET_RPS and compares that run's p99 with the target.
#
#   BENCH_BASE_URL        default http://127.0.0.1:8080
#   BENCH_DURATION        seconds per wrk run, default 10
#   BENCH_CONNECTIONS     the headline concurrency (marked * in the table), default 8; always run
#   BENCH_SWEEP           connection counts to run each scenario at, default "4 8 16"
#   BENCH_THREADS         wrk threads, default 2
#   BENCH_WARMUP          seconds of unreported reads before the scenarios, default 2 (0: none)
#   BENCH_SCENARIOS       which to run, default "read add move"
#   BENCH_TRACKS          bench tracks to seed, default 200
#   BENCH_QUEUE_LENGTH    items in the queue at the start of every run, default 100
#   BENCH_TARGET_RPS      default 2000
#   BENCH_TARGET_READ_P99_MS, BENCH_TARGET_WRITE_P99_MS   default 5, 10
#   BENCH_PG_HOST, BENCH_PG_PORT  default 127.0.0.1, 5433
#   BENCH_REDIS_HOST, BENCH_REDIS_PORT  default 127.0.0.1, 6380 (only read: INFO and the events
#                         stream's length, for the per-run notes; password from var/secrets)
#   BENCH_ACCESS_LOG      default var/log/nginx-access.log
#
# Exits 1 when a scenario misses its p99 target at BENCH_TARGET_RPS, does not reach that rate at
# any of the connection counts, or gets a non-2xx answer in any run.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib/access_log_times.sh
source "$ROOT/bench/lib/access_log_times.sh"
# shellcheck source=bench/lib/access_log_routes.sh
source "$ROOT/bench/lib/access_log_routes.sh"
# shellcheck source=bench/lib/bench_setup.sh
source "$ROOT/bench/lib/bench_setup.sh"
# shellcheck source=bench/lib/cpu_split.sh
source "$ROOT/bench/lib/cpu_split.sh"
# shellcheck source=bench/lib/store_stats.sh
source "$ROOT/bench/lib/store_stats.sh"

base_url="${BENCH_BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"
duration="${BENCH_DURATION:-10}"
connections="${BENCH_CONNECTIONS:-8}"
threads="${BENCH_THREADS:-2}"
warmup="${BENCH_WARMUP:-2}"
n_tracks="${BENCH_TRACKS:-200}"
queue_len="${BENCH_QUEUE_LENGTH:-100}"
target_rps="${BENCH_TARGET_RPS:-2000}"
target_read="${BENCH_TARGET_READ_P99_MS:-5}"
target_write="${BENCH_TARGET_WRITE_P99_MS:-10}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5433}"
redis_host="${BENCH_REDIS_HOST:-127.0.0.1}"
redis_port="${BENCH_REDIS_PORT:-6380}"
access_log="${BENCH_ACCESS_LOG:-$ROOT/var/log/nginx-access.log}"
read -r -a sweep <<<"${BENCH_SWEEP:-4 8 16}"
read -r -a run_scenarios <<<"${BENCH_SCENARIOS:-read add move}"

for v in duration connections threads n_tracks queue_len target_rps; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "a BENCH_* setting must be a positive integer: $v='${!v}'"
done
[[ "$warmup" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a whole number of seconds, got '$warmup'"
for v in target_read target_write; do
  [[ "${!v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "a BENCH_TARGET_*_P99_MS must be a number, got '${!v}'"
done
((n_tracks <= 100000)) || die "BENCH_TRACKS must be at most 100000, got $n_tracks"
((queue_len >= 2 && queue_len <= 1000)) ||
  die "BENCH_QUEUE_LENGTH must be 2 to 1000 (the queue is filled with one POST), got $queue_len"
for c in "${sweep[@]}"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SWEEP must be positive integers, got '$c'"
done
# The sweep, with the headline concurrency, ascending and without repeats.
mapfile -t sweep < <(printf '%s\n' "${sweep[@]}" "$connections" | sort -n -u)
((${#run_scenarios[@]})) || die "BENCH_SCENARIOS is empty"
for s in "${run_scenarios[@]}"; do
  [[ "$s" =~ ^(read|add|move)$ ]] || die "BENCH_SCENARIOS: unknown scenario '$s' (have: read add move)"
done

readonly BENCH_ADMIN_EMAIL=bench-admin@sattva.test
readonly TOKEN_NAME=bench/queue.sh
readonly STREAM_SLUG=bench-queue

command -v wrk >/dev/null || ensure_packages wrk
command -v psql >/dev/null || ensure_packages postgresql-client
command -v jq >/dev/null || ensure_packages jq

# --- is the stack up? -------------------------------------------------------------------------

bench_require_stack "$base_url"
bench_pg_init "$ROOT" "$pg_host" "$pg_port"

tmp_dir="$(mktemp -d)"
cleanup() {
  bench_admin_token_delete
  rm -rf "$tmp_dir"
}
trap cleanup EXIT

# --- bench admin and its API token ------------------------------------------------------------

bench_admin_token "$BENCH_ADMIN_EMAIL" 'Bench admin' "$TOKEN_NAME"
ok "bench admin $BENCH_ADMIN_EMAIL (id $BENCH_ADMIN_ID) with a fresh API token (deleted on exit)"
auth_header="Authorization: Bearer $BENCH_TOKEN"

# api / api_expect (bench/lib/bench_setup.sh) send the bench token with every request.
BENCH_API_TIMEOUT="${BENCH_API_TIMEOUT:-30}"

# --- dataset: tracks --------------------------------------------------------------------------

say "dataset: $n_tracks bench tracks (source /bench/track-N.mp3), stream '$STREAM_SLUG'"
count_tracks() {
  psql_bench -tA -c "SELECT count(*) FROM tracks
    WHERE source LIKE '/bench/track-%.mp3' AND deleted_at IS NULL"
}
seeded="$(count_tracks)"
if ((seeded >= n_tracks)); then
  ok "$seeded bench tracks already exist; seeding skipped"
else
  # Each row is a function of its number, and a live source is unique, so an interrupted seed is
  # completed, never duplicated. The files do not exist: the bench stream is never played.
  psql_bench -c "
    INSERT INTO tracks (source_kind, source, title, artist, duration_ms, codec, sample_rate, channels)
    SELECT 'file', '/bench/track-' || i || '.mp3', 'Bench track ' || i,
           'Bench artist ' || (1 + i % 20), 120000 + (i * 7919) % 240000, 'mp3', 44100, 2
    FROM generate_series(1, $n_tracks) AS i
    ON CONFLICT (source) WHERE deleted_at IS NULL DO NOTHING" >/dev/null
  seeded="$(count_tracks)"
  ok "seeded: $seeded bench tracks"
fi
psql_bench -tA -c "SELECT id FROM tracks WHERE source LIKE '/bench/track-%.mp3'
  AND deleted_at IS NULL ORDER BY id LIMIT $n_tracks" >"$tmp_dir/track_ids"
mapfile -t track_ids <"$tmp_dir/track_ids"
((${#track_ids[@]} >= 1)) || die "no bench tracks found after seeding"
total_tracks="$(psql_bench -tA -c 'SELECT count(*) FROM tracks WHERE deleted_at IS NULL')"
note "tracks table: $total_tracks live tracks in all"
# The ids a full queue is made of: the bench tracks in turn.
fill_json="$(for ((i = 0; i < queue_len; i++)); do echo "${track_ids[i % ${#track_ids[@]}]}"; done |
  paste -sd, -)"
fill_json="{\"track_ids\":[$fill_json],\"at\":\"end\"}"

# --- dataset: the stream ----------------------------------------------------------------------

stream_id() {
  psql_bench -tA -c "SELECT id FROM streams WHERE slug = '$STREAM_SLUG' AND deleted_at IS NULL"
}
sid="$(stream_id)"
if [[ -z "$sid" ]]; then
  api_expect 201 POST /api/v1/streams \
    "{\"slug\":\"$STREAM_SLUG\",\"title\":\"Bench queue (bench/queue.sh)\",\"auto_end_enabled\":false}"
  sid="$(stream_id)"
  [[ "$sid" =~ ^[0-9]+$ ]] || die "created stream '$STREAM_SLUG' but cannot find its id"
  ok "stream '$STREAM_SLUG' created: id $sid"
else
  ok "stream '$STREAM_SLUG' exists: id $sid"
fi
# A running stream's streamer would take items off the queue under the bench.
if [[ "$(psql_bench -tA -c "SELECT desired_state FROM streams WHERE id = $sid")" != stopped ]]; then
  api_expect 200 POST "/api/v1/streams/$sid/stop"
  note "stream $sid was asked to run; stopped it so nothing plays from the bench queue"
fi
queue_path="/api/v1/streams/$sid/queue"

# refill: clears the queue and fills it to queue_len items with one POST; sets item_ids (in queue
# order) and queue_bytes (the size of the GET answer).
item_ids=() queue_bytes=0 queue_version=0
refill() {
  api_expect 200 DELETE "$queue_path"
  api_expect 201 POST "$queue_path" "$fill_json"
  api_expect 200 GET "$queue_path"
  queue_bytes="${#api_body}"
  queue_version="$(jq .version <<<"$api_body")"
  mapfile -t item_ids < <(jq -r '.items[].id' <<<"$api_body")
  ((${#item_ids[@]} == queue_len)) ||
    die "after refilling, the queue has ${#item_ids[@]} items, not $queue_len"
}

# The move requests for the current queue (item_ids, in order). A move to where the item already
# is changes nothing (no new version, no event), so the order is simulated as the requests are
# made: step k takes the item now at position 1 + (k * 37) mod L to position 1 + (k * 53 + 11)
# mod L, or the next position when that is where it already is. Applied in order, every one of
# the 5,000 moves changes the queue. wrk's threads start far apart in the list (each at its own
# share), its connections apply moves slightly out of order and the list repeats, so a few may
# not; the run reports how many did (the version's growth).
write_move_requests() {
  printf '%s\n' "${item_ids[@]}" | awk -v path="$queue_path" '
    { q[NR] = $1 } 
    END {
      n = NR
      for (k = 0; k < 5000; k++) {
        from = 1 + (k * 37) % n; to = 1 + (k * 53 + 11) % n
        if (to == from) to = to % n + 1
        item = q[from]
        if (from < to) { for (i = from; i < to; i++) q[i] = q[i + 1] }
        else { for (i = from; i > to; i--) q[i] = q[i - 1] }
        q[to] = item
        printf "POST\t%s/%s/move\t{\"to\":%d}\n", path, item, to
      }
    }' >"$tmp_dir/move.requests"
}
printf 'GET\t%s\n' "$queue_path" >"$tmp_dir/read.requests"
printf '%s\n' "${track_ids[@]}" >"$tmp_dir/add.track_ids"

# --- each request once ------------------------------------------------------------------------

say "checking each request once"
refill
ok "GET $queue_path: 200, $queue_len items, $queue_bytes bytes"
api_expect 201 POST "$queue_path" "{\"track_id\":${track_ids[0]},\"at\":\"end\"}"
added="$(jq -r '.item_ids[0]' <<<"$api_body")"
ok "POST $queue_path {\"track_id\":${track_ids[0]},\"at\":\"end\"}: 201, item $added, length $(jq -r .length <<<"$api_body")"
api_expect 200 DELETE "$queue_path/$added"
ok "DELETE $queue_path/$added: 200, length $(jq -r .length <<<"$api_body")"
api_expect 200 POST "$queue_path/${item_ids[0]}/move" '{"to":2}'
ok "POST $queue_path/${item_ids[0]}/move {\"to\":2}: 200"

# --- runs -------------------------------------------------------------------------------------

warn_if_busy
cores="$BENCH_CORES"
busy_before="$BENCH_BUSY_BEFORE"

if ((warmup > 0)); then
  say "warm-up: ${warmup}s of reads (not reported)"
  BENCH_REQUESTS_FILE="$tmp_dir/read.requests" wrk -t "$(( threads < connections ? threads : connections ))" \
    -c "$connections" -d "${warmup}s" -H "$auth_header" -s "$ROOT/bench/lib/rotate_requests.lua" \
    "$base_url" >/dev/null
fi

# run_wrk SCENARIO CONNECTIONS: refills the queue, runs wrk, prints its report, the nginx view and
# the CPU split, and appends "scenario conns rps p50 p99 non2xx" to $tmp_dir/results.
run_wrk() {
  local name="$1" c="$2" t="$threads" out="$tmp_dir/$1.$2.out" log_start script
  local -a envs=()
  ((c >= t)) || t="$c"
  refill
  case "$name" in
    read)
      script=rotate_requests.lua envs=("BENCH_REQUESTS_FILE=$tmp_dir/read.requests") ;;
    add)
      script=queue_add_remove.lua
      envs=("BENCH_QUEUE_PATH=$queue_path" "BENCH_TRACK_IDS_FILE=$tmp_dir/add.track_ids") ;;
    move)
      write_move_requests
      script=rotate_requests.lua
      envs=("BENCH_REQUESTS_FILE=$tmp_dir/move.requests" "BENCH_THREAD_STRIDE=$((5000 / t))") ;;
  esac
  say "wrk: $name, ${duration}s, $t threads, $c connections, queue of $queue_len items"
  log_start="$(access_log_size "$access_log")"
  store_stats_snapshot "$ROOT" "$redis_host" "$redis_port" >"$tmp_dir/store.before"
  cpu_split_snapshot "$ROOT/var/run" >"$tmp_dir/cpu.before"
  env "${envs[@]}" wrk --latency -t "$t" -c "$c" -d "${duration}s" -H "$auth_header" \
    -s "$ROOT/bench/lib/$script" "$base_url" | tee "$out"
  cpu_split_snapshot "$ROOT/var/run" >"$tmp_dir/cpu.after"
  store_stats_snapshot "$ROOT" "$redis_host" "$redis_port" >"$tmp_dir/store.after"
  local rps p50 p99 non2xx
  rps="$(summary_value "$out" 'requests\/s')" p50="$(summary_value "$out" p50)"
  p99="$(summary_value "$out" p99)" non2xx="$(summary_value "$out" non-2xx)"
  [[ -n "$p99" && -n "$non2xx" ]] || die "no summary from wrk for $name (see its output above)"
  access_log_route_times "$access_log" "$log_start" "$queue_path" | sed 's/^/    /'
  cpu_split_report "$tmp_dir/cpu.before" "$tmp_dir/cpu.after" | sed 's/^/    /'
  store_stats_report "$tmp_dir/store.before" "$tmp_dir/store.after" "$(summary_value "$out" requests)" \
    "$ROOT" "$redis_host" "$redis_port" | sed 's/^/    /'
  local v0="$queue_version" v1
  api_expect 200 GET "$queue_path"
  v1="$(jq .version <<<"$api_body")"
  note "queue after the run: $(jq '.items | length' <<<"$api_body") items; $((v1 - v0)) changes applied (the version's growth) for $(summary_value "$out" requests) requests"
  echo "$name $c $rps $p50 $p99 $non2xx" >>"$tmp_dir/results"
}

for name in "${run_scenarios[@]}"; do
  for c in "${sweep[@]}"; do run_wrk "$name" "$c"; done
done
refill   # leave the bench queue as the read scenario found it

# --- summary ----------------------------------------------------------------------------------

echo
printf -- '--- queue bench: stream %s (%s), queue of %s items (GET answer %s bytes), %s bench tracks (%s live tracks in all), %s wrk threads, %ss per run ---\n' \
  "$sid" "$STREAM_SLUG" "$queue_len" "$queue_bytes" "$seeded" "$total_tracks" "$threads" "$duration"
printf 'machine: %s cores, %s%% busy with other work just before the run; closed loop (* = BENCH_CONNECTIONS)\n' \
  "$cores" "$busy_before"
printf '%-8s %5s %11s %10s %10s %8s\n' scenario conns requests/s p50 p99 non-2xx
while read -r name c rps p50 p99 non2xx; do
  mark=' '
  [[ "$c" == "$connections" ]] && mark='*'
  printf '%-8s %4s%s %11s %10s %10s %8s\n' "$name" "$c" "$mark" "$rps" "$p50 ms" "$p99 ms" "$non2xx"
done <"$tmp_dir/results"

echo
printf 'verdict at %s requests/s: the run with the fewest connections that reached it (more load than %s,\n' \
  "$target_rps" "$target_rps"
printf 'so its p99 is if anything pessimistic); non-2xx must be 0 in every run\n'
printf '%-8s %-6s %6s %11s %10s %10s   %s\n' scenario kind conns requests/s p99 target result
failed=0
for name in "${run_scenarios[@]}"; do
  kind=write target="$target_write"
  [[ "$name" == read ]] && kind=read target="$target_read"
  # The runs of this scenario, fewest connections first (the sweep is ascending).
  op='' best='' bad=0
  while read -r n c rps p50 p99 non2xx; do
    [[ "$n" == "$name" ]] || continue
    [[ "$non2xx" == 0 ]] || bad=1
    if [[ -z "$best" ]] || awk -v a="$rps" -v b="${best#* }" 'BEGIN { exit !(a > b) }'; then
      best="$c $rps"
    fi
    if [[ -z "$op" ]] && awk -v r="$rps" -v t="$target_rps" 'BEGIN { exit !(r >= t) }'; then
      op="$c $rps $p99"
    fi
  done <"$tmp_dir/results"
  if [[ -n "$op" ]]; then
    read -r c rps p99 <<<"$op"
    if awk -v p="$p99" -v t="$target" 'BEGIN { exit !(p <= t) }' && ((!bad)); then
      result=PASS
    elif ((bad)); then
      result='FAIL: non-2xx answers (the bench sent a wrong request; see first_non2xx above)'
    else
      result="FAIL: p99 over ${target} ms"
    fi
    printf '%-8s %-6s %6s %11s %10s %10s   %s\n' "$name" "$kind" "$c" "$rps" "$p99 ms" "<= $target ms" "$result"
  else
    read -r c rps <<<"$best"
    result="FAIL: $target_rps requests/s not reached (at most $rps, with $c connections)"
    ((bad)) && result="$result; and non-2xx answers"
    printf '%-8s %-6s %6s %11s %10s %10s   %s\n' "$name" "$kind" - - - "<= $target ms" "$result"
  fi
  [[ "$result" == PASS ]] || failed=1
done
if ((failed)); then
  printf 'result: FAIL (a scenario missed its p99 target at %s requests/s, did not reach that rate, or got non-2xx answers)\n' "$target_rps"
  exit 1
fi
printf 'result: PASS (reads p99 <= %s ms, writes p99 <= %s ms at %s requests/s, no non-2xx)\n' \
  "$target_read" "$target_write" "$target_rps"
