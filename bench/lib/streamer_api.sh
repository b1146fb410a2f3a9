# shellcheck shell=bash disable=SC2034  # SAPI_ID and SAPI_CREATED are read by the callers
# Helpers shared by the streamer benchmarks (bench/streamer.sh, bench/auto_end.sh). Source it after
# scripts/lib.sh and bench/lib/bench_setup.sh; it defines functions and sets nothing until called.
# No jq: the answers are parsed with sed and awk, which is enough because sattva writes compact
# JSON with the keys of every object in sorted order (jsoncpp).
#
#   sapi_init BASE_URL TOKEN
#       the base URL and bearer token the calls below use
#   sapi METHOD PATH [JSON]
#       one request; sets sapi_status and sapi_body (dies when nothing answers)
#   sapi_expect STATUS METHOD PATH [JSON]
#       sapi, and dies unless the answer is STATUS
#   json_int KEY < JSON      the first number after "KEY": (top-level first in sattva's sorted keys)
#   json_str KEY < JSON      the first string after "KEY": ("" for null)
#   sapi_streams_list
#       every live stream as "id slug desired_state" lines (GET /api/v1/streams, 200 per page)
#   sapi_stream_ensure SLUG TITLE JSON_FIELDS
#       the stream SLUG: created with JSON_FIELDS (the body without slug and title, e.g.
#       '"auto_end_enabled":false'), or, when it exists (found in SAPI_STREAMS, or a 409 on
#       create), reused and PATCHed with JSON_FIELDS. Sets SAPI_ID and SAPI_CREATED (0 or 1).
#       Call sapi_streams_load first.
#   sapi_streams_load
#       fills SAPI_STREAMS (slug -> "id desired_state") from sapi_streams_list
#   sapi_track_ensure ABS_PATH TITLE
#       registers the file (POST /api/v1/tracks {"path"}) or, when a live track has that source
#       (409), reuses it; sets SAPI_ID and SAPI_CREATED
#   sapi_stream_stop_wait TIMEOUT_S ID...
#       POST .../stop for each, then waits until each one's "state" is "stopped" (a streamer has
#       let it go); warns about the ones that did not within TIMEOUT_S
#   sredis ROOT HOST PORT ARGS...
#       redis-cli with the password from ROOT/var/secrets/redis_password (never on the command line)
#   streamer_pid ROOT
#       the running sattva-streamer's pid (from var/run/streamer.pid, as ./sattva records it)
#   now_ms                   wall-clock milliseconds
#   nap SECONDS              sleep, in the background and waited for, so that a trapped signal
#                            is handled at once (bash runs a trap only after a foreground
#                            command ends); nap_cancel kills a nap cut short that way

_sapi_base='' _sapi_auth=''
sapi_status='' sapi_body='' SAPI_ID='' SAPI_CREATED=0

sapi_init() {
  _sapi_base="${1%/}"
  _sapi_auth="Authorization: Bearer $2"
}

sapi() {
  local args=(-s -m 30 -X "$1" -H "$_sapi_auth" -w '\n%{http_code}') out
  (($# < 3)) || args+=(-H 'Content-Type: application/json' --data-binary "$3")
  out="$(curl "${args[@]}" "$_sapi_base$2")" || die "$1 $2: no answer from $_sapi_base"
  sapi_status="${out##*$'\n'}"
  sapi_body="${out%$'\n'*}"
}

sapi_expect() {
  local want="$1"
  shift
  sapi "$@"
  [[ "$sapi_status" == "$want" ]] || die "$1 $2 answered $sapi_status, not $want: ${sapi_body:0:300}"
}

json_int() { grep -o "\"$1\":-\?[0-9][0-9]*" | head -n 1 | sed 's/.*://' || true; }
json_str() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | sed 's/^[^:]*:"//; s/"$//' || true; }

sapi_streams_list() {
  local page=1 seen=0 total
  while :; do
    sapi_expect 200 GET "/api/v1/streams?per_page=200&page=$page"
    # Each stream object starts with {"auto_end":{ (sorted keys); its first "id" is the stream's
    # (the nested auto_end object has none), and "slug" and "desired_state" appear once.
    awk '{
      n = split($0, parts, /\{"auto_end":\{/)
      for (i = 2; i <= n; i++) {
        p = parts[i]; id = ""; slug = ""; ds = ""
        if (match(p, /"id":[0-9]+/)) id = substr(p, RSTART + 5, RLENGTH - 5)
        if (match(p, /"slug":"[^"]*"/)) slug = substr(p, RSTART + 8, RLENGTH - 9)
        if (match(p, /"desired_state":"[^"]*"/)) ds = substr(p, RSTART + 17, RLENGTH - 18)
        if (id != "" && slug != "") print id, slug, ds
      }
    }' <<<"$sapi_body"
    total="$(grep -o '"total":[0-9]*' <<<"$sapi_body" | tail -n 1 | sed 's/.*://')"
    seen=$((seen + $(grep -o '{"auto_end":{' <<<"$sapi_body" | wc -l)))
    [[ "$total" =~ ^[0-9]+$ ]] || die "GET /api/v1/streams: no total in the answer"
    ((seen < total && page < 1000)) || break
    page=$((page + 1))
  done
}

declare -gA SAPI_STREAMS=()
sapi_streams_load() {
  local id slug ds
  SAPI_STREAMS=()
  while read -r id slug ds; do
    SAPI_STREAMS["$slug"]="$id ${ds:-?}"
  done < <(sapi_streams_list)
}

sapi_stream_ensure() {
  local slug="$1" title="$2" fields="$3" id
  if [[ -z "${SAPI_STREAMS[$slug]:-}" ]]; then
    sapi POST /api/v1/streams "{\"slug\":\"$slug\",\"title\":\"$title\",$fields}"
    if [[ "$sapi_status" == 201 ]]; then
      id="$(json_int id <<<"$sapi_body")"
      [[ "$id" =~ ^[0-9]+$ ]] || die "created stream '$slug' but found no id in the answer"
      SAPI_STREAMS["$slug"]="$id stopped"
      SAPI_ID="$id" SAPI_CREATED=1
      return 0
    fi
    [[ "$sapi_status" == 409 ]] ||
      die "POST /api/v1/streams ($slug) answered $sapi_status: ${sapi_body:0:300}"
    sapi_streams_load   # taken meanwhile: find it
    [[ -n "${SAPI_STREAMS[$slug]:-}" ]] || die "slug '$slug' is taken but not listed"
  fi
  id="${SAPI_STREAMS[$slug]%% *}"
  sapi_expect 200 PATCH "/api/v1/streams/$id" "{$fields}"
  SAPI_ID="$id" SAPI_CREATED=0
}

sapi_track_ensure() {
  local path="$1" title="$2" id
  sapi POST /api/v1/tracks "{\"path\":\"$path\",\"title\":\"$title\",\"artist\":\"Sattva bench\"}"
  SAPI_CREATED=0
  case "$sapi_status" in
    201) id="$(json_int id <<<"$sapi_body")" SAPI_CREATED=1 ;;
    409) id="$(grep -o 'registered as track [0-9]*' <<<"$sapi_body" | grep -o '[0-9]*$' || true)" ;;
    *) die "POST /api/v1/tracks ($path) answered $sapi_status: ${sapi_body:0:300}" ;;
  esac
  [[ "$id" =~ ^[0-9]+$ ]] || die "POST /api/v1/tracks ($path): no track id in: ${sapi_body:0:300}"
  SAPI_ID="$id"
}

sapi_stream_stop_wait() {
  local timeout="$1" id left=() still=() deadline
  shift
  for id in "$@"; do
    sapi POST "/api/v1/streams/$id/stop"
    [[ "$sapi_status" == 200 || "$sapi_status" == 404 ]] ||
      warn "POST /api/v1/streams/$id/stop answered $sapi_status"
  done
  left=("$@")
  deadline=$((SECONDS + timeout))
  while ((${#left[@]})); do
    still=()
    for id in "${left[@]}"; do
      sapi GET "/api/v1/streams/$id"
      if [[ "$sapi_status" == 200 && "$(json_str state <<<"$sapi_body")" != stopped ]]; then
        still+=("$id")
      fi
    done
    left=("${still[@]}")
    ((${#left[@]})) || break
    if ((SECONDS >= deadline)); then
      warn "streams still not stopped ${timeout}s after the stop: ${left[*]}"
      return 0
    fi
    sleep 0.5
  done
}

sredis() {
  local root="$1" host="$2" port="$3"
  shift 3
  REDISCLI_AUTH="$(head -n 1 "$root/var/secrets/redis_password")" \
    timeout 10 redis-cli --no-auth-warning -h "$host" -p "$port" "$@"
}

streamer_pid() {
  local pid
  pid="$(read_pid "$1/var/run/streamer.pid")" || return 1
  pid_alive "$pid" sattva-streamer || return 1
  printf '%s\n' "$pid"
}

now_ms() { date +%s%3N; }

_nap_pid=''
nap() {
  sleep "$1" &
  _nap_pid=$!
  wait "$_nap_pid" || true
  _nap_pid=''
}
nap_cancel() {
  [[ -z "$_nap_pid" ]] || kill "$_nap_pid" 2>/dev/null || true
  _nap_pid=''
}
