#!/usr/bin/env bash
# Load-tests the admin panel's station pages through nginx with a session cookie (issue 9), at a
# constant 200 requests/s (an open loop: bench/lib/constant_rate.lua), and measures the memory of
# sattva-fcgi while it exports 1,000,000 play-history rows as CSV. Target: p99 <= 20 ms for
#   GET /admin/streams            (first page, default per_page) with 1,000 streams
#   GET /admin/streams/{id}       of a stream with a 1,000-item queue (and 1,000,000 plays)
#   GET /admin/tracks             (first page) with 100,000 tracks
# and an export whose peak RSS stays within BENCH_RSS_GROWTH_MB of the RSS before it. Needs
# `./sattva up`.
#
# Setup, all idempotent (rerunning reuses what exists and completes what is missing):
#   - a bench admin bench-admin@sattva.test with an API token for the run (bench/lib/bench_setup.sh,
#     deleted on exit), used only to seed through the API;
#   - the page user bench-pages-admin@sattva.test, an admin whose password is reset to a fresh
#     random one through the API on every run; the bench logs in as it (POST /api/v1/auth/login)
#     and sends its session cookie with every page request; it logs out on exit;
#   - BENCH_TRACKS tracks in SQL (source /bench/pages-track-N.mp3, title "Bench page track N";
#     the files do not exist: the bench streams never play);
#   - BENCH_STREAMS streams through the API (slugs bench-pages-0001 ...; stopped, auto-end off);
#   - the queue of bench-pages-0001 refilled to BENCH_QUEUE_LENGTH items through the API whenever
#     it has another length;
#   - BENCH_HISTORY play_history rows for bench-pages-0001 in SQL, in closed sessions of 1,000
#     plays (stream_sessions rows with end_detail 'bench/admin_pages.sh').
# BENCH_CLEANUP=1 removes all of it instead (streams deleted through the API, which drops their
# queues; history and sessions deleted; tracks soft-deleted) and runs nothing.
#
#   BENCH_BASE_URL        default http://127.0.0.1:8080
#   BENCH_DURATION        seconds per page, default 20
#   BENCH_RATE            requests/s, default 200
#   BENCH_THREADS         wrk threads, default 2
#   BENCH_CONNECTIONS     wrk connections (all threads), default 16: enough free connections to
#                         hold the rate while a few answers are slow (late_sends says if not)
#   BENCH_WARMUP          seconds of unreported requests per page before its run, default 2
#   BENCH_STREAMS, BENCH_QUEUE_LENGTH, BENCH_TRACKS, BENCH_HISTORY
#                         default 1000, 1000, 100000, 1000000
#   BENCH_TARGET_P99_MS   default 20
#   BENCH_RSS_GROWTH_MB   largest allowed peak RSS minus RSS before the export, default 32
#   BENCH_SKIP_EXPORT     1 skips the export measurement
#   BENCH_PG_HOST, BENCH_PG_PORT  default 127.0.0.1, 5433
#   BENCH_FCGI_PIDFILE    default var/run/fcgi.pid
#   BENCH_FCGI_PID        the sattva-fcgi pid itself (overrides BENCH_FCGI_PIDFILE)
#   BENCH_ACCESS_LOG      default var/log/nginx-access.log
#
# Prints PASS/FAIL per page and for the export, and exits 0 whatever they say; it exits 1 only
# when it cannot run (no stack, no PostgreSQL, a seeding step refused).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib/access_log_times.sh
source "$ROOT/bench/lib/access_log_times.sh"
# shellcheck source=bench/lib/bench_setup.sh
source "$ROOT/bench/lib/bench_setup.sh"
# shellcheck source=bench/lib/rss_sampler.sh
source "$ROOT/bench/lib/rss_sampler.sh"

base_url="${BENCH_BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"
duration="${BENCH_DURATION:-20}"
rate="${BENCH_RATE:-200}"
threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-16}"
warmup="${BENCH_WARMUP:-2}"
n_streams="${BENCH_STREAMS:-1000}"
queue_len="${BENCH_QUEUE_LENGTH:-1000}"
n_tracks="${BENCH_TRACKS:-100000}"
n_history="${BENCH_HISTORY:-1000000}"
target_ms="${BENCH_TARGET_P99_MS:-20}"
rss_growth_mb="${BENCH_RSS_GROWTH_MB:-32}"
skip_export="${BENCH_SKIP_EXPORT:-0}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5433}"
fcgi_pidfile="${BENCH_FCGI_PIDFILE:-$ROOT/var/run/fcgi.pid}"
access_log="${BENCH_ACCESS_LOG:-$ROOT/var/log/nginx-access.log}"

for v in duration rate threads connections n_streams queue_len n_tracks n_history rss_growth_mb; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[[ "$warmup" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a whole number of seconds, got '$warmup'"
[[ "$target_ms" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_TARGET_P99_MS must be a number, got '$target_ms'"
((n_streams <= 9999)) || die "BENCH_STREAMS must be at most 9999 (slugs bench-pages-NNNN)"
((queue_len <= 10000)) || die "BENCH_QUEUE_LENGTH must be at most 10000 (queue_max_length)"
((n_tracks >= 1000)) || die "BENCH_TRACKS must be at least 1000"
((connections >= threads)) || threads="$connections"

readonly BENCH_ADMIN_EMAIL=bench-admin@sattva.test
readonly PAGES_EMAIL=bench-pages-admin@sattva.test
readonly TOKEN_NAME=bench/admin_pages.sh
readonly SLUG_PREFIX=bench-pages-
readonly TRACK_SOURCE_PREFIX=/bench/pages-track-
readonly SESSION_MARK=bench/admin_pages.sh
queue_slug="$(printf '%s%04d' "$SLUG_PREFIX" 1)"

command -v wrk >/dev/null || ensure_packages wrk
command -v psql >/dev/null || ensure_packages postgresql-client
command -v jq >/dev/null || ensure_packages jq

bench_require_stack "$base_url"
bench_pg_init "$ROOT" "$pg_host" "$pg_port"

tmp_dir="$(mktemp -d)"
cookie_jar="$tmp_dir/cookies"
csrf_token=''
cleanup() {
  if [[ -n "$csrf_token" ]]; then
    curl -s -o /dev/null -m 10 -b "$cookie_jar" -X POST -H "X-CSRF-Token: $csrf_token" \
      -H "Origin: $base_url" "$base_url/api/v1/auth/logout" || true
  fi
  bench_admin_token_delete
  rm -rf "$tmp_dir"
}
trap cleanup EXIT

bench_admin_token "$BENCH_ADMIN_EMAIL" 'Bench admin' "$TOKEN_NAME"
ok "bench admin $BENCH_ADMIN_EMAIL (id $BENCH_ADMIN_ID) with a fresh API token (deleted on exit)"
auth_header="Authorization: Bearer $BENCH_TOKEN"

# api / api_expect (bench/lib/bench_setup.sh) send the bench token with every request.

bench_stream_ids() {
  psql_bench -tA -c "SELECT id FROM streams WHERE slug LIKE '${SLUG_PREFIX}%' AND deleted_at IS NULL ORDER BY slug"
}

# --- BENCH_CLEANUP=1: remove the bench data and stop --------------------------------------------

if [[ "${BENCH_CLEANUP:-0}" == 1 ]]; then
  say "removing the admin_pages bench data"
  mapfile -t ids < <(bench_stream_ids)
  for id in "${ids[@]}"; do
    psql_bench -c "DELETE FROM play_history WHERE stream_id = $id;
      DELETE FROM stream_sessions WHERE stream_id = $id AND end_detail = '$SESSION_MARK'" >/dev/null
    api "DELETE" "/api/v1/streams/$id"
    [[ "$api_status" == 2* || "$api_status" == 404 ]] ||
      warn "DELETE /api/v1/streams/$id answered $api_status: ${api_body:0:200}"
  done
  ok "${#ids[@]} streams deleted (their queues with them), their bench history and sessions too"
  n="$(psql_bench -tA -c "WITH d AS (UPDATE tracks SET deleted_at = now()
    WHERE source LIKE '${TRACK_SOURCE_PREFIX}%' AND deleted_at IS NULL RETURNING 1)
    SELECT count(*) FROM d")"
  ok "$n bench tracks soft-deleted"
  if psql_bench -c "DELETE FROM users WHERE email = '$PAGES_EMAIL'" >/dev/null 2>&1; then
    ok "user $PAGES_EMAIL deleted"
  else
    warn "could not delete $PAGES_EMAIL (it may be referenced)"
  fi
  exit 0
fi

# --- dataset: tracks --------------------------------------------------------------------------

say "dataset: $n_tracks tracks, $n_streams streams, a $queue_len-item queue, $n_history plays"
count_tracks() {
  psql_bench -tA -c "SELECT count(*) FROM tracks
    WHERE source LIKE '${TRACK_SOURCE_PREFIX}%' AND deleted_at IS NULL"
}
seeded="$(count_tracks)"
if ((seeded >= n_tracks)); then
  ok "$seeded bench tracks already exist; seeding skipped"
else
  t0=$SECONDS
  # Each row is a function of its number and a live source is unique, so an interrupted seed is
  # completed, never duplicated. Codecs, sources and sizes vary so the filters have something to
  # filter; titles and artists repeat words so searches match some rows, not all.
  psql_bench -c "
    INSERT INTO tracks (source_kind, source, title, artist, duration_ms, codec, sample_rate,
                        channels, size_bytes, created_by)
    SELECT 'file', '${TRACK_SOURCE_PREFIX}' || i || '.' || (ARRAY['mp3','ogg','opus','flac'])[1 + i % 4],
           'Bench page track ' || i,
           'Bench artist ' || (1 + (i * 7) % 500),
           60000 + (i * 7919) % 420000,
           (ARRAY['mp3','vorbis','opus','flac'])[1 + i % 4],
           (ARRAY[44100,48000])[1 + i % 2], 2,
           500000 + (i * 104729) % 12000000,
           $BENCH_ADMIN_ID
    FROM generate_series(1::bigint, $n_tracks) AS i
    ON CONFLICT (source) WHERE deleted_at IS NULL DO NOTHING" >/dev/null
  psql_bench -c 'ANALYZE tracks' >/dev/null
  seeded="$(count_tracks)"
  ok "seeded: $seeded bench tracks in $((SECONDS - t0))s (and ANALYZE tracks)"
fi
note "tracks table: $(psql_bench -tA -c 'SELECT count(*) FROM tracks WHERE deleted_at IS NULL') live tracks in all"

# --- dataset: streams -------------------------------------------------------------------------

mapfile -t existing < <(psql_bench -tA -c "SELECT slug FROM streams
  WHERE slug LIKE '${SLUG_PREFIX}%' AND deleted_at IS NULL")
declare -A have=()
for s in "${existing[@]}"; do [[ -z "$s" ]] || have["$s"]=1; done
# One curl for all the missing streams (a config file of requests separated by `next`), so the
# connection is reused; every answer's status is checked.
n_missing=0
: >"$tmp_dir/create.curl"
for ((i = 1; i <= n_streams; i++)); do
  slug="$(printf '%s%04d' "$SLUG_PREFIX" "$i")"
  [[ -z "${have[$slug]:-}" ]] || continue
  ((n_missing > 0)) && echo next >>"$tmp_dir/create.curl"
  n_missing=$((n_missing + 1))
  cat >>"$tmp_dir/create.curl" <<EOF
url = "$base_url/api/v1/streams"
request = "POST"
header = "$auth_header"
header = "Content-Type: application/json"
data-binary = "{\"slug\":\"$slug\",\"title\":\"Bench pages stream $i\",\"auto_end_enabled\":false}"
output = "/dev/null"
write-out = "%{http_code}\\n"
silent
EOF
done
if ((n_missing == 0)); then
  ok "${#existing[@]} bench streams already exist; seeding skipped"
else
  t0=$SECONDS
  curl -K "$tmp_dir/create.curl" >"$tmp_dir/create.codes" || true
  bad="$(grep -vc '^201$' "$tmp_dir/create.codes" || true)"
  ((bad == 0)) || die "creating $n_missing streams: $bad answers were not 201 ($(sort "$tmp_dir/create.codes" | uniq -c | tr '\n' ' '))"
  ok "created $n_missing bench streams through the API in $((SECONDS - t0))s"
fi
stream_count="$(bench_stream_ids | wc -l)"
note "streams: $stream_count bench streams, $(psql_bench -tA -c 'SELECT count(*) FROM streams WHERE deleted_at IS NULL') live streams in all"

sid="$(psql_bench -tA -c "SELECT id FROM streams WHERE slug = '$queue_slug' AND deleted_at IS NULL")"
[[ "$sid" =~ ^[0-9]+$ ]] || die "cannot find the stream $queue_slug"
if [[ "$(psql_bench -tA -c "SELECT desired_state FROM streams WHERE id = $sid")" != stopped ]]; then
  api_expect 200 POST "/api/v1/streams/$sid/stop"
  note "stream $sid was asked to run; stopped it so nothing plays from the bench queue"
fi

# --- dataset: the queue -----------------------------------------------------------------------

queue_path="/api/v1/streams/$sid/queue"
api_expect 200 GET "$queue_path"
have_len="$(jq '.items | length' <<<"$api_body")"
if ((have_len == queue_len)); then
  ok "queue of $queue_slug (id $sid) has $queue_len items already"
else
  # Distinct tracks spread over the catalog, so the page shows many different titles.
  mapfile -t qids < <(psql_bench -tA -c "SELECT id FROM tracks
    WHERE source LIKE '${TRACK_SOURCE_PREFIX}%' AND deleted_at IS NULL
    ORDER BY id LIMIT $queue_len")
  ((${#qids[@]} == queue_len)) || die "need $queue_len bench tracks for the queue, found ${#qids[@]}"
  api_expect 200 DELETE "$queue_path"
  for ((o = 0; o < queue_len; o += 1000)); do
    batch="$(printf '%s\n' "${qids[@]:o:1000}" | paste -sd, -)"
    api_expect 201 POST "$queue_path" "{\"track_ids\":[$batch],\"at\":\"end\"}"
  done
  api_expect 200 GET "$queue_path"
  have_len="$(jq '.items | length' <<<"$api_body")"
  ((have_len == queue_len)) || die "after refilling, the queue has $have_len items, not $queue_len"
  ok "queue of $queue_slug (id $sid) refilled to $queue_len items through the API"
fi

# --- dataset: play history --------------------------------------------------------------------

have_history="$(psql_bench -tA -c "SELECT count(*) FROM play_history WHERE stream_id = $sid")"
if ((have_history >= n_history)); then
  ok "$have_history plays of stream $sid already exist; seeding skipped"
else
  t0=$SECONDS
  # Sessions of 1,000 plays each, newest first: session k covers plays (k-1)*1000+1 .. k*1000.
  # Play i started i*3 minutes ago and lasted 2:00-4:59; one in 10 was skipped, one in 97 failed.
  # Rows are functions of their number and are added from the count that exists, in one
  # transaction, so a rerun completes an interrupted seed without duplicates.
  psql_bench -c "
    BEGIN;
    INSERT INTO stream_sessions (stream_id, started_at, ended_at, end_reason, end_detail,
                                 peak_listeners, tracks_played)
    SELECT $sid, now() - (3 * k * 1000 + 3) * interval '1 minute',
           now() - (3 * (k - 1) * 1000) * interval '1 minute', 'manual', '$SESSION_MARK',
           (k * 37) % 200, 1000
    FROM generate_series((SELECT count(*) FROM stream_sessions
                          WHERE stream_id = $sid AND end_detail = '$SESSION_MARK') + 1,
                         ($n_history + 999) / 1000) AS k;
    WITH s AS (
      SELECT id, row_number() OVER (ORDER BY started_at DESC) AS k FROM stream_sessions
      WHERE stream_id = $sid AND end_detail = '$SESSION_MARK'
    ), t AS (
      SELECT id, row_number() OVER (ORDER BY id) AS n FROM tracks
      WHERE source LIKE '${TRACK_SOURCE_PREFIX}%' AND deleted_at IS NULL ORDER BY id LIMIT 5000
    )
    INSERT INTO play_history (stream_id, session_id, track_id, queue_item_id, started_at,
                              ended_at, end_reason, error)
    SELECT $sid, s.id, t.id, 'bench-' || i,
           now() - (3 * i) * interval '1 minute',
           now() - (3 * i) * interval '1 minute' + (120 + (i * 31) % 180) * interval '1 second',
           CASE WHEN i % 97 = 0 THEN 'error' WHEN i % 10 = 0 THEN 'skipped' ELSE 'finished' END,
           CASE WHEN i % 97 = 0 THEN 'bench: decoder error' END
    FROM generate_series($have_history + 1, $n_history) AS i
    JOIN s ON s.k = (i - 1) / 1000 + 1
    JOIN t ON t.n = 1 + i % 5000;
    COMMIT;
    ANALYZE play_history; ANALYZE stream_sessions" >/dev/null
  have_history="$(psql_bench -tA -c "SELECT count(*) FROM play_history WHERE stream_id = $sid")"
  ok "seeded: $have_history plays of stream $sid in $((SECONDS - t0))s (and ANALYZE)"
fi

# --- the page user and its session ------------------------------------------------------------

pages_uid="$(psql_bench -tA -c "
  INSERT INTO users (email, display_name, role, status)
  VALUES ('$PAGES_EMAIL', 'Bench pages admin', 'admin', 'active')
  ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin', status = 'active'
  RETURNING id")"
pages_uid="${pages_uid%%$'\n'*}"
[[ "$pages_uid" =~ ^[0-9]+$ ]] || die "could not create the page user $PAGES_EMAIL"
password="bench-$(random_secret)"
api_expect 200 PATCH "/api/v1/users/$pages_uid" "{\"password\":\"$password\"}"
login="$(curl -s -m 30 -c "$cookie_jar" -H 'Content-Type: application/json' -w '\n%{http_code}' \
  --data-binary "{\"email\":\"$PAGES_EMAIL\",\"password\":\"$password\"}" "$base_url/api/v1/auth/login")"
[[ "${login##*$'\n'}" == 200 ]] || die "login as $PAGES_EMAIL answered ${login##*$'\n'}: ${login:0:300}"
csrf_token="$(jq -r .csrf_token <<<"${login%$'\n'*}")"
# The session cookie as a header for wrk (curl's jar marks HttpOnly cookies with #HttpOnly_).
cookie_header="Cookie: $(awk -F '\t' 'NF == 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$cookie_jar")"
[[ "$cookie_header" != "Cookie: " ]] || die "login set no cookie"
ok "logged in as $PAGES_EMAIL (id $pages_uid); its session cookie goes with every page request"

# --- one request per page: does it answer, and does it show what was seeded? -----------------

# name|path|what to count in the HTML|the least count that means the page shows the data (the
# stream page counts #now-playing's data-item-id too, and may show only the head of the queue)
scenarios=(
  "streams_list|/admin/streams|data-stream-id=|1"
  "stream_page|/admin/streams/$sid|data-item-id=|2"
  "tracks_list|/admin/tracks|data-track-id=|1"
)
declare -A usable=()
say "checking each page once"
for s in "${scenarios[@]}"; do
  IFS='|' read -r name path marker least <<<"$s"
  out="$tmp_dir/$name.html"
  code="$(curl -s -m 30 -o "$out" -w '%{http_code} %{size_download} %{time_total}' \
    -H "$cookie_header" "$base_url$path")" || code="000 0 0"
  read -r status bytes secs <<<"$code"
  count="$(grep -o "$marker" "$out" 2>/dev/null | wc -l || true)"
  if [[ "$status" != 200 ]]; then
    warn "$name: GET $path answered $status (the page may not exist yet); it is reported as FAIL"
    continue
  fi
  usable[$name]=1
  note "$(printf '%-13s %s: %s bytes in %ss, %s x %s' "$name" "$path" "$bytes" "$secs" "$count" "$marker")"
  ((count >= least)) || warn "$name shows $count $marker, expected at least $least"
  if [[ "$name" == stream_page ]]; then
    # The page may show the first part of a long queue; its count says how long the queue is.
    shown_len="$(sed -n 's/.*id="queue-count">(\([0-9]*\)).*/\1/p' "$out" | head -n 1)"
    [[ "$shown_len" == "$queue_len" ]] ||
      warn "stream_page says the queue has '${shown_len}' items (#queue-count), not $queue_len"
  fi
done

# --- wrk at a constant rate -------------------------------------------------------------------

warn_if_busy
cores="$BENCH_CORES"
busy_before="$BENCH_BUSY_BEFORE"

results=()
for s in "${scenarios[@]}"; do
  IFS='|' read -r name path _ _ <<<"$s"
  if [[ -z "${usable[$name]:-}" ]]; then
    results+=("$(printf '%-13s %10s %9s %9s %9s %9s %8s   %s' "$name" - - - - - - 'FAIL: the page did not answer 200')")
    continue
  fi
  printf '%s\n' "$path" >"$tmp_dir/$name.paths"
  wrk_env=(env BENCH_PATHS_FILE="$tmp_dir/$name.paths" BENCH_RATE="$rate"
           BENCH_RATE_THREADS="$threads" BENCH_RATE_CONNECTIONS="$((connections / threads))")
  if ((warmup > 0)); then
    "${wrk_env[@]}" wrk -t "$threads" -c "$connections" -d "${warmup}s" -H "$cookie_header" \
      -s "$ROOT/bench/lib/constant_rate.lua" "$base_url" >/dev/null
  fi
  say "wrk: $name, GET $path at $rate requests/s for ${duration}s ($threads threads, $connections connections)"
  log_start="$(access_log_size "$access_log")"
  "${wrk_env[@]}" wrk --latency -t "$threads" -c "$connections" -d "${duration}s" \
    -H "$cookie_header" -s "$ROOT/bench/lib/constant_rate.lua" "$base_url" | tee "$tmp_dir/$name.out"
  o="$tmp_dir/$name.out"
  rps="$(summary_value "$o" 'requests\/s')" p50="$(summary_value "$o" p50)"
  p99="$(summary_value "$o" p99)" max="$(summary_value "$o" max)"
  non2xx="$(summary_value "$o" non-2xx)" late="$(summary_value "$o" late_sends)"
  [[ -n "$p99" && -n "$non2xx" ]] || die "no summary from wrk for $name (see its output above)"
  access_log_times "$access_log" "$log_start" "${path%%\?*}" | sed 's/^/    /'
  verdict=PASS
  awk -v p="$p99" -v t="$target_ms" 'BEGIN { exit !(p <= t) }' || verdict="FAIL: p99 over ${target_ms} ms"
  [[ "$non2xx" == 0 ]] || verdict="FAIL: $non2xx non-2xx answers"
  awk -v r="$rps" -v t="$rate" 'BEGIN { exit !(r >= 0.95 * t) }' || verdict="FAIL: rate not held"
  results+=("$(printf '%-13s %10s %9s %9s %9s %9s %8s   %s' "$name" "$rps" "$p50" "$p99" "$max" "$late" "$non2xx" "$verdict")")
done

# --- the export -------------------------------------------------------------------------------

export_line="export        skipped (BENCH_SKIP_EXPORT=1)"
if [[ "$skip_export" != 1 ]]; then
  export_path="/admin/streams/$sid/history/export.csv"
  fcgi_pid="${BENCH_FCGI_PID:-$(head -n 1 "$fcgi_pidfile" 2>/dev/null || true)}"
  if ! [[ "$fcgi_pid" =~ ^[0-9]+$ ]] || [[ ! -r "/proc/$fcgi_pid/status" ]]; then
    export_line="export        FAIL: no sattva-fcgi process from $fcgi_pidfile"
  else
    say "export: GET $export_path ($have_history plays) with curl, VmRSS of sattva-fcgi (pid $fcgi_pid) every 100 ms"
    rss_before="$(proc_status_kb "$fcgi_pid" VmRSS)"
    hwm_before="$(proc_status_kb "$fcgi_pid" VmHWM)"
    csv="$tmp_dir/history.csv"
    curl -s -m 1800 -H "$cookie_header" -o "$csv" \
      -w '%{http_code} %{size_download} %{time_total}\n' "$base_url$export_path" >"$tmp_dir/export.curl" &
    curl_pid=$!
    rss_sample_while "$curl_pid" "$fcgi_pid" 0.1 >"$tmp_dir/rss.samples"
    wait "$curl_pid" || true
    read -r status bytes secs <"$tmp_dir/export.curl" || true
    rss_after="$(proc_status_kb "$fcgi_pid" VmRSS)"
    hwm_after="$(proc_status_kb "$fcgi_pid" VmHWM)"
    rss_peak="$(sort -n "$tmp_dir/rss.samples" | tail -n 1)"
    samples="$(wc -l <"$tmp_dir/rss.samples")"
    rows=0
    [[ ! -s "$csv" ]] || rows=$(($(wc -l <"$csv") - 1))
    note "status $status, $rows rows (after the header), $bytes bytes in ${secs}s"
    note "first lines: $(head -n 3 "$csv" 2>/dev/null | tr '\n' '|' | cut -c1-300)"
    note "VmRSS before ${rss_before} kB, peak ${rss_peak:-?} kB ($samples samples), after ${rss_after} kB"
    note "VmHWM before ${hwm_before} kB, after ${hwm_after} kB (the process's lifetime peak)"
    growth_kb=$((${rss_peak:-0} - rss_before))
    verdict=PASS
    ((growth_kb <= rss_growth_mb * 1024)) || verdict="FAIL: RSS grew by $((growth_kb / 1024)) MB"
    ((rows == have_history)) || verdict="FAIL: $rows rows, expected $have_history"
    [[ "$status" == 200 ]] || verdict="FAIL: answered $status"
    export_line="$(printf 'export        %s rows, %s bytes, %ss (%s rows/s); VmRSS before %s kB, peak %s kB (+%s kB), after %s kB; VmHWM %s -> %s kB   %s' \
      "$rows" "$bytes" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "-" }')" \
      "$rss_before" "${rss_peak:-?}" "$growth_kb" "$rss_after" "$hwm_before" "$hwm_after" "$verdict")"
  fi
fi

# --- summary ----------------------------------------------------------------------------------

echo
printf -- '--- admin_pages bench: %s streams, stream %s with a %s-item queue and %s plays, %s tracks; %s requests/s for %ss per page, %s wrk threads, %s connections ---\n' \
  "$stream_count" "$sid" "$queue_len" "$have_history" "$seeded" "$rate" "$duration" "$threads" "$connections"
printf 'machine: %s cores, %s%% busy with other work just before the run\n' "$cores" "$busy_before"
printf '%-13s %10s %9s %9s %9s %9s %8s   %s\n' page requests/s 'p50 ms' 'p99 ms' 'max ms' late non-2xx "p99 <= ${target_ms} ms"
printf '%s\n' "${results[@]}"
printf '%s\n' "$export_line"
if printf '%s\n' "${results[@]}" "$export_line" | grep -q 'FAIL'; then
  echo "result: FAIL (see the lines above; the bench exits 0 all the same)"
else
  echo "result: PASS"
fi
exit 0
