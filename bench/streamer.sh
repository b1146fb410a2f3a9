#!/usr/bin/env bash
# Measures sattva-streamer on this machine (all its cores are shared with the rest of the stack,
# curl and anything else running). Three figures:
#
# (a) Capacity: how many streams play in real time with zero late frames, each with one live-mount
#     listener (curl -s -o /dev/null on /live/<slug>.ogg through nginx; BENCH_MOUNTS="ogg mp3"
#     alternates the listeners between .ogg and .mp3, and the summary says which were used). The
#     count ramps up in BENCH_STEPS; at each step the new streams are started, their listeners
#     connected, BENCH_SETTLE seconds pass, and then over BENCH_WINDOW seconds the script takes the
#     increase of sattva_stream_frames_late_total (frames delivered after their 20 ms deadline) and
#     sattva_stream_underruns_total summed over the bench streams, from /metrics/streamer. A step
#     passes with 0 late frames, 0 underruns and every listener connected. Target: the largest
#     passing step is >= BENCH_TARGET_STREAMS (50).
#     The machine is shared: other work (compilers, tests) delays the player threads and shows up
#     as late frames. So before each window the script waits (up to BENCH_QUIET_WAIT s) until
#     other work takes at most BENCH_QUIET_PCT % of the machine, and a step with late frames
#     during which other work took more than that is measured again (up to BENCH_RETRIES times).
#     "Other work" is the machine's busy time minus the stack's daemons (bench/lib/cpu_split.sh)
#     and the listeners' curl processes. Every try is printed, with the CPU split, the iowait
#     share and the one-second slices of the window that had late frames (which frames, how many
#     streams): a stall (every stream late in the same second or two, as when the player threads
#     all wait on one slow Redis or disk) looks different from a steady CPU shortfall.
# (b) CPU per stream, per step: the streamer process's CPU (utime + stime of all its threads, from
#     /proc/<pid>/stat, over the window) in % of one core, divided by the stream count; with the
#     machine's busy share and other work's share (/proc/stat, % of all cores) over the same window.
# (c) The join gap per format: 1.0 s 48 kHz stereo tones (exactly 48,000 samples) made with ffmpeg
#     as mp3 (libmp3lame), m4a (aac), ogg (libvorbis), opus (libopus) and flac are registered and
#     queued BENCH_JOIN_ROUNDS times on the stream bench-join while sattva-bridge-client records
#     its bridge. From the TRACK lines' at_sample, each item played (next at_sample - its
#     at_sample) samples; minus 48,000 is its join gap: 0 is gapless, > 0 silence or priming
#     played, < 0 audio lost. Reported in samples and ms; for information (no target). The
#     "ffmpeg" column is what the ffmpeg CLI decodes from the same file, for reference.
#
# Setup, idempotent: the bench admin and a fresh API token (bench/lib/bench_setup.sh, deleted on
# exit); media in var/media/bench/ (a 60 s mp3 tone, the bench streams' placeholder, and the
# 1 s tones), registered as tracks (reused when registered); streams bench-s-1..N (N the largest
# step) and bench-join, created through the API or reused (then PATCHed), with that placeholder
# and auto-end off. Bench streams found running from an earlier run are stopped first. On exit,
# however it ends, every curl and bridge client the script started is killed by pid and every
# bench stream it started is stopped.
#
#   BENCH_BASE_URL        default http://127.0.0.1:8080
#   BENCH_STEPS           stream counts to ramp through, default "10 20 30 40 50 60 70 80"
#   BENCH_WINDOW          seconds measured per step, default 20
#   BENCH_SETTLE          seconds between the listeners connecting and the window, default 5
#   BENCH_TARGET_STREAMS  default 50
#   BENCH_MOUNTS          the listeners' formats, in turn: default "ogg" ("ogg mp3" alternates)
#   BENCH_START_TIMEOUT   seconds for started streams to play and listeners to connect, default 30
#   BENCH_QUIET_PCT       other work (% of the machine) tolerated before a window, default 15
#   BENCH_QUIET_WAIT      seconds to wait for that before each window, default 60 (0: no wait)
#   BENCH_RETRIES         re-measures of a step with late frames under other work, default 2
#   BENCH_JOIN_FORMATS    default "mp3 m4a ogg opus flac"
#   BENCH_JOIN_ROUNDS     times each format is queued, default 2
#   BENCH_PARTS           what to run, default "join ramp"
#   BENCH_PG_HOST, BENCH_PG_PORT  default 127.0.0.1, 5433 (only for the bench admin's token)
#
# Exits 1 when the largest step with zero late frames is below BENCH_TARGET_STREAMS (no verdict
# when BENCH_PARTS leaves the ramp out), or when something needed does not work (stack down, a
# stream that never plays).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib/bench_setup.sh
source "$ROOT/bench/lib/bench_setup.sh"
# shellcheck source=bench/lib/cpu_split.sh
source "$ROOT/bench/lib/cpu_split.sh"
# shellcheck source=bench/lib/streamer_api.sh
source "$ROOT/bench/lib/streamer_api.sh"

base_url="${BENCH_BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"
window="${BENCH_WINDOW:-20}"
settle="${BENCH_SETTLE:-5}"
target="${BENCH_TARGET_STREAMS:-50}"
start_timeout="${BENCH_START_TIMEOUT:-30}"
join_rounds="${BENCH_JOIN_ROUNDS:-2}"
quiet_pct="${BENCH_QUIET_PCT:-15}"
quiet_wait="${BENCH_QUIET_WAIT:-60}"
retries="${BENCH_RETRIES:-2}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5433}"
read -r -a steps <<<"${BENCH_STEPS:-10 20 30 40 50 60 70 80}"
read -r -a mounts <<<"${BENCH_MOUNTS:-ogg}"
read -r -a join_formats <<<"${BENCH_JOIN_FORMATS:-mp3 m4a ogg opus flac}"
read -r -a parts <<<"${BENCH_PARTS:-join ramp}"

for v in window target start_timeout join_rounds; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "a BENCH_* setting must be a positive integer: $v='${!v}'"
done
for v in settle quiet_pct quiet_wait retries; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "a BENCH_* setting must be a whole number: $v='${!v}'"
done
((${#steps[@]})) || die "BENCH_STEPS is empty"
for s in "${steps[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STEPS must be positive integers, got '$s'"
done
mapfile -t steps < <(printf '%s\n' "${steps[@]}" | sort -n -u)
max_streams="${steps[${#steps[@]} - 1]}"
((max_streams <= 500)) || die "BENCH_STEPS: at most 500 streams, got $max_streams"
((${#mounts[@]})) || die "BENCH_MOUNTS is empty"
for m in "${mounts[@]}"; do
  [[ "$m" =~ ^(ogg|mp3)$ ]] || die "BENCH_MOUNTS: 'ogg' or 'mp3', got '$m'"
done
declare -A codec_args=(
  [mp3]="-c:a libmp3lame -b:a 128k" [m4a]="-c:a aac -b:a 128k" [ogg]="-c:a libvorbis -q:a 4"
  [opus]="-c:a libopus -b:a 96k" [flac]="-c:a flac -sample_fmt s16"
)
for f in "${join_formats[@]}"; do
  [[ -n "${codec_args[$f]:-}" ]] || die "BENCH_JOIN_FORMATS: unknown format '$f' (have: ${!codec_args[*]})"
done
run_join=0 run_ramp=0
for p in "${parts[@]}"; do
  case "$p" in
    join) run_join=1 ;;
    ramp) run_ramp=1 ;;
    *) die "BENCH_PARTS: unknown part '$p' (have: join ramp)" ;;
  esac
done

readonly BENCH_ADMIN_EMAIL=bench-admin@sattva.test
readonly TOKEN_NAME=bench/streamer.sh
readonly SLUG_PREFIX=bench-s-
readonly JOIN_SLUG=bench-join
readonly FRAMES_PER_S=50   # 20 ms frames
readonly JOIN_SAMPLES=48000
media_dir="$ROOT/var/media"
bench_media="$media_dir/bench"
client_bin="$ROOT/build/bin/sattva-bridge-client"
hz="$(getconf CLK_TCK)"

command -v psql >/dev/null || ensure_packages postgresql-client
command -v ffmpeg >/dev/null || ensure_packages ffmpeg
((run_join == 0)) || [[ -x "$client_bin" ]] || die "$client_bin not found: build with ./sattva up"

# --- is the stack up? -------------------------------------------------------------------------

bench_require_stack "$base_url"
bench_pg_init "$ROOT" "$pg_host" "$pg_port"
streamer="$(streamer_pid "$ROOT")" || die "sattva-streamer is not running (var/run/streamer.pid): ./sattva up"
[[ "$(http_code "$base_url/metrics/streamer")" == 200 ]] ||
  die "$base_url/metrics/streamer does not answer 200"

tmp_dir="$(mktemp -d)"
listener_pids=()   # curl, by pid
client_pid=''      # sattva-bridge-client
started_ids=()     # bench streams this run started

stop_listeners() {
  local pid
  for pid in "${listener_pids[@]}" $client_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${listener_pids[@]}" $client_pid; do
    wait "$pid" 2>/dev/null || true
  done
  listener_pids=() client_pid=''
}

cleanup() {
  nap_cancel
  stop_listeners
  if ((${#started_ids[@]})); then
    # In a subshell: a failing call must not end the trap before the token is deleted.
    (sapi_stream_stop_wait 20 "${started_ids[@]}") ||
      warn "could not stop every bench stream: ${started_ids[*]}"
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

# --- media and tracks -------------------------------------------------------------------------

# tone FILE SECONDS FREQ CODEC_ARGS...: a 48 kHz stereo sine of exactly SECONDS (made once).
tone() {
  local file="$1" secs="$2" freq="$3"
  shift 3
  [[ -s "$file" ]] && return 0
  local tmp="$file.tmp.${file##*.}" expr="0.25*sin(2*PI*$freq*t)"
  ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "aevalsrc=exprs='$expr|$expr':s=48000:d=$secs" "$@" "$tmp" ||
    die "ffmpeg could not make $file"
  mv -f "$tmp" "$file"
  note "made ${file#"$ROOT"/}"
}

say "media in var/media/bench/ and their tracks"
mkdir -p "$bench_media"
placeholder_file="$bench_media/placeholder-60s.mp3"
tone "$placeholder_file" 60 220 -c:a libmp3lame -b:a 128k
sapi_track_ensure "$placeholder_file" "Bench placeholder (60 s)"
placeholder_id="$SAPI_ID"
ok "placeholder: track $placeholder_id (${placeholder_file#"$ROOT"/})"

declare -A join_track=() join_ffmpeg=()
if ((run_join)); then
  freq=330
  for f in "${join_formats[@]}"; do
    file="$bench_media/join-1s.$f"
    # shellcheck disable=SC2086
    tone "$file" 1 "$freq" ${codec_args[$f]}
    freq=$((freq + 110))
    sapi_track_ensure "$file" "Bench join 1 s ($f)"
    join_track[$f]="$SAPI_ID"
    # What the ffmpeg CLI decodes from it (encoder delay and padding trimmed as ffmpeg does).
    bytes="$(ffmpeg -hide_banner -loglevel error -nostdin -i "$file" -f s16le -ac 2 -ar 48000 - | wc -c)"
    join_ffmpeg[$f]=$((bytes / 4))
  done
  ok "1 s tones: $(for f in "${join_formats[@]}"; do printf '%s=track %s ' "$f" "${join_track[$f]}"; done)"
fi

# --- streams ----------------------------------------------------------------------------------

say "streams ${SLUG_PREFIX}1..$max_streams and $JOIN_SLUG (placeholder track $placeholder_id, auto-end off)"
sapi_streams_load
fields="\"description\":\"bench/streamer.sh\",\"placeholder_track_id\":$placeholder_id,\"auto_end_enabled\":false,\"auto_end_timeout_s\":300"
stream_ids=()   # index k: the id of bench-s-k
created=0 running=()
for ((k = 1; k <= max_streams; k++)); do
  slug="$SLUG_PREFIX$k"
  [[ "${SAPI_STREAMS[$slug]:-}" == *' running' ]] && running+=("${SAPI_STREAMS[$slug]%% *}")
  sapi_stream_ensure "$slug" "Bench streamer $k" "$fields"
  stream_ids[k]="$SAPI_ID"
  created=$((created + SAPI_CREATED))
done
[[ "${SAPI_STREAMS[$JOIN_SLUG]:-}" == *' running' ]] && running+=("${SAPI_STREAMS[$JOIN_SLUG]%% *}")
sapi_stream_ensure "$JOIN_SLUG" "Bench join gap" "$fields"
join_id="$SAPI_ID"
created=$((created + SAPI_CREATED))
ok "$((max_streams + 1)) streams ready: $created created, $((max_streams + 1 - created)) reused (ids ${stream_ids[1]}..${stream_ids[max_streams]}, $JOIN_SLUG $join_id)"
if ((${#running[@]})); then
  note "${#running[@]} bench stream(s) were asked to run (an earlier run?); stopping them first"
  sapi_stream_stop_wait 30 "${running[@]}"
fi
sattva_conf="$ROOT/var/sattva.conf"
bridge_dir="$(sed -n 's/^bridge_dir[[:space:]]*=[[:space:]]*//p' "$sattva_conf" 2>/dev/null | tail -n 1)"
[[ -n "$bridge_dir" ]] || die "no bridge_dir in $sattva_conf"

# metrics_snapshot N [FILE]: "present sent late underruns live_listeners active_streams" summed
# over bench-s-1..N, from the streamer's metrics (or from FILE, a copy of them).
metrics_snapshot() {
  if (($# > 1)); then cat "$2"; else curl -s -m 10 "$base_url/metrics/streamer"; fi |
    awk -v n="$1" -v prefix="$SLUG_PREFIX" '
    /^sattva_active_streams / { active = $2 }
    /^sattva_stream_(frames_sent_total|frames_late_total|underruns_total|listeners)\{/ {
      if (!match($0, "stream=\"" prefix "[0-9]+\"")) next
      k = substr($0, RSTART + 8 + length(prefix), RLENGTH - 9 - length(prefix)) + 0
      if (k < 1 || k > n) next
      v = $NF + 0
      if ($0 ~ /^sattva_stream_frames_sent_total/) { sent += v; present++ }
      else if ($0 ~ /^sattva_stream_frames_late_total/) late += v
      else if ($0 ~ /^sattva_stream_underruns_total/) under += v
      else if ($0 ~ /sink="live"/) live += v
    }
    END { printf "%d %.0f %.0f %.0f %.0f %d\n", present, sent, late, under, live, active }'
}

# --- (c) join gap -----------------------------------------------------------------------------

join_rows=()
if ((run_join)); then
  say "join gap: ${join_formats[*]} x $join_rounds on $JOIN_SLUG (stream $join_id), recorded through its bridge"
  sapi_expect 200 DELETE "/api/v1/streams/$join_id/queue"
  sapi_expect 200 POST "/api/v1/streams/$join_id/start"
  started_ids+=("$join_id")
  sock="$bridge_dir/$JOIN_SLUG.sock"
  deadline=$((SECONDS + start_timeout))
  until [[ -S "$sock" ]] && curl -s -m 5 "$base_url/metrics/streamer" |
    grep -q "^sattva_stream_frames_sent_total{stream=\"$JOIN_SLUG\"}"; do
    ((SECONDS < deadline)) || die "$JOIN_SLUG did not start playing within ${start_timeout}s (no $sock or no metrics)"
    sleep 0.2
  done
  queue_ids=()
  for ((r = 0; r < join_rounds; r++)); do
    for f in "${join_formats[@]}"; do queue_ids+=("${join_track[$f]}"); done
  done
  record_s=$((6 + ${#queue_ids[@]}))
  "$client_bin" --socket "$sock" --out "$tmp_dir/join.pcm" --meta "$tmp_dir/join.jsonl" \
    --seconds "$record_s" --client bench/streamer.sh 2>"$tmp_dir/client.err" &
  client_pid=$!
  deadline=$((SECONDS + 10))
  until grep -q '"type":"welcome"' "$tmp_dir/join.jsonl" 2>/dev/null; do
    pid_running "$client_pid" || die "sattva-bridge-client exited: $(cat "$tmp_dir/client.err")"
    ((SECONDS < deadline)) || die "sattva-bridge-client got no WELCOME within 10 s"
    sleep 0.1
  done
  sleep 0.5   # some placeholder first, so the first tone starts on a join too
  sapi_expect 201 POST "/api/v1/streams/$join_id/queue" \
    "{\"track_ids\":[$(IFS=,; echo "${queue_ids[*]}")],\"at\":\"end\"}"
  note "queued ${#queue_ids[@]} tones; recording ${record_s}s"
  rc=0
  wait "$client_pid" || rc=$?
  client_pid=''
  ((rc == 0)) || die "sattva-bridge-client failed (exit $rc): $(cat "$tmp_dir/client.err")"
  sapi_stream_stop_wait 20 "$join_id"
  gaps="$(grep -c '"type":"gap"' "$tmp_dir/join.jsonl" || true)"
  ((gaps == 0)) || warn "the bridge recording has $gaps gap(s) (frames the client never got): at_sample differences across them are short"
  # "track_id at_sample" of every TRACK line, in order.
  grep '"type":"track"' "$tmp_dir/join.jsonl" |
    sed -n 's/.*"at_sample":\(-\{0,1\}[0-9]*\).*/\1/p' >"$tmp_dir/at"
  grep '"type":"track"' "$tmp_dir/join.jsonl" |
    sed -n 's/.*"track_id":\([0-9]*\).*/\1/p' >"$tmp_dir/tid"
  paste -d' ' "$tmp_dir/tid" "$tmp_dir/at" >"$tmp_dir/tracks"
  mapfile -t lines <"$tmp_dir/tracks"
  # The queued items are consecutive TRACK lines; the one after the last (the placeholder's)
  # ends it.
  first=-1
  for ((i = 0; i + ${#queue_ids[@]} < ${#lines[@]}; i++)); do
    match=1
    for ((j = 0; j < ${#queue_ids[@]}; j++)); do
      [[ "${lines[i + j]%% *}" == "${queue_ids[j]}" ]] || { match=0; break; }
    done
    ((match)) && { first=$i; break; }
  done
  ((first >= 0)) || die "the bridge's TRACK lines do not show the ${#queue_ids[@]} queued tones in order (then one more): $(tr '\n' ';' <"$tmp_dir/tracks")"
  declare -A played=() gap_s=() gap_ms=()
  for ((j = 0; j < ${#queue_ids[@]}; j++)); do
    f="${join_formats[j % ${#join_formats[@]}]}"
    at_a="${lines[first + j]##* }" at_b="${lines[first + j + 1]##* }"
    n=$((at_b - at_a))
    played[$f]+="${played[$f]:+ }$n"
    gap_s[$f]+="${gap_s[$f]:+ }$((n - JOIN_SAMPLES))"
    gap_ms[$f]+="${gap_ms[$f]:+ }$(awk -v d="$((n - JOIN_SAMPLES))" 'BEGIN { printf "%.2f", d / 48 }')"
  done
  for f in "${join_formats[@]}"; do
    join_rows+=("$f|${codec_args[$f]}|${join_ffmpeg[$f]}|${played[$f]}|${gap_s[$f]}|${gap_ms[$f]}")
  done
  ok "recorded $(($(stat -c %s "$tmp_dir/join.pcm") / 4)) samples, ${#lines[@]} TRACK lines"
fi

# --- (a) and (b) the ramp ---------------------------------------------------------------------

results=()   # "n late under cpu per_stream busy others realtime listeners active tries"
if ((run_ramp)); then
  warn_if_busy
  say "ramp: ${steps[*]} streams; ${settle}s settle + ${window}s window per step; listeners on /live/<slug>.{$(IFS=,; echo "${mounts[*]}")}"
  started=0
  # start_listener K: curl on bench-s-K's live mount, through nginx.
  start_listener() {
    local k="$1" fmt="${mounts[($1 - 1) % ${#mounts[@]}]}"
    curl -s -f -N -o /dev/null "$base_url/live/$SLUG_PREFIX$k.$fmt" 2>/dev/null &
    listener_pids[k]=$!
  }
  # cpu_snapshot FILE: the stack's components (bench/lib/cpu_split.sh), the machine, and the
  # listeners' curl processes ("curl TICKS").
  cpu_snapshot() {
    local st
    cpu_split_snapshot "$ROOT/var/run" >"$1"
    echo "curl $(_cpu_ticks "${listener_pids[@]}")" >>"$1"
    read -r -a st < <(head -n 1 /proc/stat)
    echo "iowait ${st[5]}" >>"$1"
  }
  # stream_lates N METRICS_FILE > FILE: "slug late underruns sent" of bench-s-1..N.
  stream_lates() {
    awk -v n="$1" -v prefix="$SLUG_PREFIX" '
      /^sattva_stream_(frames_late_total|underruns_total|frames_sent_total)\{/ {
        if (!match($0, "stream=\"" prefix "[0-9]+\"")) next
        slug = substr($0, RSTART + 8, RLENGTH - 9)
        if (substr(slug, length(prefix) + 1) + 0 > n) next
        if ($0 ~ /^sattva_stream_frames_late_total/) late[slug] = $NF
        else if ($0 ~ /^sattva_stream_underruns_total/) under[slug] = $NF
        else sent[slug] = $NF
      }
      END { for (s in late) printf "%s %.0f %.0f %.0f\n", s, late[s], under[s], sent[s] }' "$2"
  }
  # lates_diff BEFORE AFTER: "late_frames streams_with_late underruns restarted" between two
  # stream_lates. A stream whose counters went back (its player stopped and started again, its
  # metrics with it) or that is missing counts as restarted; its late frames and underruns
  # after the restart count in full.
  lates_diff() {
    awk 'FNR == NR { l[$1] = $2; u[$1] = $3; f[$1] = $4; next }
      {
        seen[$1] = 1
        if (!($1 in l) || $4 < f[$1]) { r++; dl = $2; du = $3 }
        else { dl = $2 - l[$1]; du = $3 - u[$1] }
        if (dl > 0) { sum += dl; k++ }
        under += du
      }
      END { for (x in l) if (!(x in seen)) r++; printf "%d %d %d %d\n", sum, k, under, r }' "$1" "$2"
  }
  # window_figures N BEFORE AFTER: "streamer_cpu per_stream busy others iowait" over the
  # interval: CPU in % of one core, the rest in % of the machine (others: busy time not spent by
  # the stack's daemons nor the listeners, i.e. other work on the machine; iowait: idle time with
  # disk I/O outstanding).
  window_figures() {
    awk -v n="$1" -v hz="$hz" '
      FNR == NR { b[$1] = $2; next }
      { a[$1] = $2 }
      END {
        secs = a["wall"] - b["wall"]; all = a["all"] - b["all"]; busy = a["busy"] - b["busy"]
        split("postgres redis fcgi nginx wsd streamer curl", names, " ")
        for (i in names) known += a[names[i]] - b[names[i]]
        cpu = 100 * (a["streamer"] - b["streamer"]) / (hz * secs)
        others = busy - known; if (others < 0) others = 0
        busy_pct = 0; others_pct = 0; io_pct = 0
        if (all > 0) {
          busy_pct = 100 * busy / all; others_pct = 100 * others / all
          io_pct = 100 * (a["iowait"] - b["iowait"]) / all
        }
        printf "%.1f %.2f %.0f %.0f %.0f\n", cpu, cpu / n, busy_pct, others_pct, io_pct
      }' "$2" "$3"
  }
  # wait_quiet: up to BENCH_QUIET_WAIT seconds for other work to fall to BENCH_QUIET_PCT of the
  # machine (1 s samples); sets quiet_others to the last sample.
  wait_quiet() {
    local until_s=$((SECONDS + quiet_wait)) waited=0
    while :; do
      cpu_snapshot "$tmp_dir/q0"
      sleep 1
      cpu_snapshot "$tmp_dir/q1"
      read -r _ _ _ quiet_others _ <<<"$(window_figures 1 "$tmp_dir/q0" "$tmp_dir/q1")"
      ((quiet_others > quiet_pct)) || break
      if ((SECONDS >= until_s)); then
        note "other work still takes ${quiet_others}% of the machine after ${quiet_wait}s; measuring anyway"
        return 0
      fi
      ((waited)) || note "other work takes ${quiet_others}% of the machine (> ${quiet_pct}%): waiting up to ${quiet_wait}s for it to calm down"
      waited=1
    done
    ((waited == 0)) || note "other work down to ${quiet_others}% of the machine"
  }
  for n in "${steps[@]}"; do
    for ((k = started + 1; k <= n; k++)); do
      sapi_expect 200 POST "/api/v1/streams/${stream_ids[k]}/start"
      started_ids+=("${stream_ids[k]}")
    done
    deadline=$((SECONDS + start_timeout))
    while read -r present _ <<<"$(metrics_snapshot "$n")"; ((present < n)); do
      ((SECONDS < deadline)) || die "only $present of $n bench streams play ${start_timeout}s after their start"
      sleep 0.5
    done
    for ((k = started + 1; k <= n; k++)); do start_listener "$k"; done
    started=$n
    # Every listener connected (a curl that got an error exits: start it again).
    deadline=$((SECONDS + start_timeout))
    while read -r _ _ _ _ live _ <<<"$(metrics_snapshot "$n")"; ((live < n)); do
      ((SECONDS < deadline)) || die "only $live of $n live listeners connected after ${start_timeout}s"
      for ((k = 1; k <= n; k++)); do
        pid_running "${listener_pids[k]}" || start_listener "$k"
      done
      sleep 0.5
    done
    ((settle == 0)) || nap "$settle"
    for ((try = 1; ; try++)); do
      wait_quiet
      pid_now="$(streamer_pid "$ROOT")" || die "sattva-streamer is no longer running"
      [[ "$pid_now" == "$streamer" ]] || die "sattva-streamer restarted (pid $streamer -> $pid_now)"
      # The window in one-second slices, to tell stalls (every stream late in the same second
      # or two) from a steady shortfall (late frames in most seconds). The first and the last
      # scrape are also the window's totals.
      curl -s -m 5 "$base_url/metrics/streamer" >"$tmp_dir/m_now"
      cpu_snapshot "$tmp_dir/c0"
      read -r p0 sent0 late0 under0 _ _ <<<"$(metrics_snapshot "$n" "$tmp_dir/m_now")"
      stream_lates "$n" "$tmp_dir/m_now" >"$tmp_dir/l_prev"
      if ((p0 != n)); then
        ((try <= retries + 5)) || die "step $n: only $p0 of $n bench streams play, again and again"
        warn "step $n: only $p0 of $n bench streams play before the window; measuring again"
        nap 2
        continue
      fi
      bursts=() late_secs=0 dl=0 du=0 restarts=0
      for ((sec = 1; sec <= window; sec++)); do
        nap 1
        curl -s -m 5 "$base_url/metrics/streamer" >"$tmp_dir/m_now"
        ((sec < window)) || cpu_snapshot "$tmp_dir/c1"
        stream_lates "$n" "$tmp_dir/m_now" >"$tmp_dir/l_now"
        read -r sl sk su sr <<<"$(lates_diff "$tmp_dir/l_prev" "$tmp_dir/l_now")"
        dl=$((dl + sl)) du=$((du + su)) restarts=$((restarts + sr))
        if ((sl + su + sr > 0)); then
          late_secs=$((late_secs + 1))
          burst="s$sec:${sl}f/${sk}st"
          ((su == 0)) || burst+="/${su}u"
          ((sr == 0)) || burst+="/${sr}restarted"
          bursts+=("$burst")
        fi
        mv -f "$tmp_dir/l_now" "$tmp_dir/l_prev"
      done
      read -r p1 sent1 late1 under1 live1 active1 <<<"$(metrics_snapshot "$n" "$tmp_dir/m_now")"
      alive=0
      for ((k = 1; k <= n; k++)); do pid_running "${listener_pids[k]}" && alive=$((alive + 1)); done
      read -r cpu per busy others iowait <<<"$(window_figures "$n" "$tmp_dir/c0" "$tmp_dir/c1")"
      secs="$(awk '$1 == "wall" { w[FILENAME] = $2 } END { print w[ARGV[2]] - w[ARGV[1]] }' "$tmp_dir/c0" "$tmp_dir/c1")"
      rt="$(awk -v d="$((sent1 - sent0))" -v n="$n" -v s="$secs" -v fps="$FRAMES_PER_S" 'BEGIN { printf "%.1f", 100 * d / (n * fps * s) }')"
      if ((restarts || p1 != n)); then
        rt=-   # counters started again: the sums say nothing
        warn "step $n: $restarts restart(s) of bench streams during the window, $p1 of $n playing at its end: players stopped and were claimed again (a lost lease? see ./sattva logs streamer)"
      else
        dl=$((late1 - late0)) du=$((under1 - under0))   # the same as the slices' sums
      fi
      note "$n streams (try $try): $dl late frames, $du underruns, $restarts restarts, streamer ${cpu}% of a core (${per}%/stream), machine ${busy}% busy (other work ${others}%, iowait ${iowait}%), frames ${rt}$([[ "$rt" == - ]] || echo %) of real time, $live1 live listeners ($alive curl alive), $active1 streams on the streamer"
      cpu_split_report "$tmp_dir/c0" "$tmp_dir/c1" | sed 's/^/      /'
      if ((late_secs)); then
        note "  late in $late_secs of ${window} one-second slices (second:frames/streams[/underruns]): ${bursts[*]:0:12}$( ((${#bursts[@]} <= 12)) || echo ' ...')"
      fi
      if ((dl + du > 0 && others > quiet_pct && try <= retries)); then
        note "late frames while other work took ${others}% of the machine: measuring step $n again"
        continue
      fi
      break
    done
    results+=("$n $dl $du $late_secs/$window $cpu $per $busy $others $iowait $rt $live1/$n $active1 $try $restarts")
  done
  stop_listeners
  say "stopping the bench streams"
  sapi_stream_stop_wait 30 "${started_ids[@]}"
  started_ids=()
fi

# --- summary ----------------------------------------------------------------------------------

echo
failed=0
if ((run_join)); then
  printf -- '--- (c) join gap: 1.0 s tones (48,000 samples, 48 kHz stereo) queued %s time(s) each on %s, recorded by the bridge client ---\n' \
    "$join_rounds" "$JOIN_SLUG"
  printf 'gap = samples played - 48000 (0: gapless; > 0: silence or priming played; < 0: audio lost); one value per round\n'
  printf '%-6s %-26s %8s %16s %14s %16s\n' format encoder ffmpeg 'played' 'gap (samples)' 'gap (ms)'
  for row in "${join_rows[@]}"; do
    IFS='|' read -r f enc ref pl gs gm <<<"$row"
    printf '%-6s %-26s %8s %16s %14s %16s\n' "$f" "$enc" "$ref" "$pl" "$gs" "$gm"
  done
  echo
fi
if ((run_ramp)); then
  mounts_text="/live/<slug>.${mounts[0]}"
  ((${#mounts[@]} == 1)) || mounts_text="/live/<slug>.{$(IFS=,; echo "${mounts[*]}")} in turn"
  printf -- '--- (a)+(b) streamer capacity: %s cores, %s%% busy just before the run; one live listener per stream (curl on %s), %ss window per step after %ss settle ---\n' \
    "$BENCH_CORES" "$BENCH_BUSY_BEFORE" "$mounts_text" "$window" "$settle"
  printf 'late secs: one-second slices of the window with late frames or underruns; streamer, per strm: CPU in %% of one\n'
  printf 'core (the machine has %s%%); busy, other (work not of the stack or the listeners), iowait: %% of the whole machine;\n' \
    "$((BENCH_CORES * 100))"
  printf 'real time: frames sent / (50/s x streams x window); active: streams the streamer plays in all; tries: windows measured\n'
  printf '%7s %6s %6s %9s %9s %9s %7s %7s %7s %9s %9s %7s %5s   %s\n' streams late underr 'late secs' 'streamer' 'per strm' busy other iowait 'real time' listeners active tries result
  best=0 first_fail=''
  for r in "${results[@]}"; do
    read -r n dl du ls cpu per busy others iowait rt live active tries restarts <<<"$r"
    res=PASS
    if ((restarts)); then
      res="FAIL: $restarts stream restarts"
    elif ((dl != 0 || du != 0)); then
      res="FAIL: late frames"
    elif [[ "$live" != "$n/$n" ]]; then
      res="FAIL: listeners $live"
    fi
    if [[ "$res" == PASS ]]; then
      ((n > best)) && best=$n
    elif [[ -z "$first_fail" ]]; then
      first_fail=$n
    fi
    [[ "$rt" == - ]] || rt="$rt%"
    printf '%7s %6s %6s %9s %8s%% %8s%% %6s%% %6s%% %6s%% %9s %9s %7s %5s   %s\n' "$n" "$dl" "$du" "$ls" "$cpu" "$per" "$busy" "$others" "$iowait" "$rt" "$live" "$active" "$tries" "$res"
  done
  echo
  more=''
  [[ "$best" == "$max_streams" ]] && more=' (the largest step tried: the limit may be higher)'
  if [[ -n "$first_fail" ]] && ((first_fail < best)); then
    more=" (not every smaller step: the first to fail was $first_fail; see late secs)"
  fi
  printf '(a) streams in real time with zero late frames: %s%s; target >= %s\n' "$best" "$more" "$target"
  # The mean over the steps of the streamer's CPU per stream (the fixed cost shrinks with more).
  printf '(b) streamer CPU per stream: %s%% of one core (mean of the steps; %s%% at the largest)\n' \
    "$(printf '%s\n' "${results[@]}" | awk '{ s += $6 } END { printf "%.2f", s / NR }')" \
    "$(printf '%s\n' "${results[@]}" | tail -n 1 | awk '{ print $6 }')"
  if ((best >= target)); then
    printf 'result: PASS (%s streams with zero late frames >= %s)\n' "$best" "$target"
  else
    printf 'result: FAIL (at most %s streams with zero late frames; target %s)\n' "$best" "$target"
    failed=1
  fi
else
  printf 'result: no ramp run (BENCH_PARTS=%s): no verdict on the capacity target\n' "${parts[*]}"
fi
exit "$failed"
