# shellcheck shell=bash
# Where a benchmark's time went, seen by nginx: request_time (rt, the whole request in nginx) and
# upstream_response_time (urt, waiting on sattva-fcgi) from the access log that
# nginx/nginx.conf.template writes ('... "$request" $status ... rt=$request_time
# urt=$upstream_response_time ...'). nginx logs both with 1 ms resolution.
#
#   access_log_size FILE
#       prints FILE's size in bytes (0 when it does not exist); take it before a run
#   access_log_times FILE START_BYTE [PREFIX]
#       reads the lines written after START_BYTE whose request path starts with PREFIX (default
#       /api/), skipping 499s (wrk closing its connections at the end of a run), and prints one
#       line per request path and one for all of them: requests, rt p50/p99, urt p50/p99 (ms)
#
# Source it; it defines functions and sets nothing else.

access_log_size() {
  if [[ -f "$1" ]]; then stat -c %s "$1"; else echo 0; fi
}

# _access_log_rows FILE START PREFIX: "path<TAB>rt_ms<TAB>urt_ms" per request, plus the same
# with the path "(all)".
_access_log_rows() {
  tail -c +"$(($2 + 1))" "$1" | awk -v prefix="$3" '
    {
      path = ""; status = ""; rt = ""; urt = ""
      if (match($0, /"[A-Z]+ [^ ]+ HTTP\/[0-9.]+" [0-9]+/)) {
        split(substr($0, RSTART, RLENGTH), f, " ")
        path = f[2]; status = f[4]
      }
      if (match($0, / rt=[0-9.]+/)) rt = substr($0, RSTART + 4, RLENGTH - 4)
      if (match($0, / urt=[0-9.]+/)) urt = substr($0, RSTART + 5, RLENGTH - 5)
      if (path == "" || rt == "" || urt == "" || status == "499") next
      if (index(path, prefix) != 1) next
      printf "%s\t%.0f\t%.0f\n", path, rt * 1000, urt * 1000
      printf "(all)\t%.0f\t%.0f\n", rt * 1000, urt * 1000
    }'
}

# _access_log_percentiles COLUMN < rows: "path<TAB>n<TAB>p50<TAB>p99" of that column, by path.
_access_log_percentiles() {
  LC_ALL=C sort -t $'\t' -k1,1 -k"$1,$1n" | awk -F '\t' -v col="$1" '
    function flush() {
      if (key != "") printf "%s\t%d\t%s\t%s\n", key, n, v[int((n - 1) * 0.50) + 1], v[int((n - 1) * 0.99) + 1]
    }
    $1 != key { flush(); key = $1; n = 0 }
    { v[++n] = $col }
    END { flush() }'
}

access_log_times() {
  local file="$1" start="$2" prefix="${3:-/api/}" rows
  [[ -r "$file" ]] || return 0
  rows="$(_access_log_rows "$file" "$start" "$prefix")"
  [[ -n "$rows" ]] || return 0
  printf '%8s %7s %7s %8s %8s   %s\n' requests 'rt p50' 'rt p99' 'urt p50' 'urt p99' \
    'path (ms, nginx access log: rt = whole request, urt = sattva-fcgi)'
  LC_ALL=C join -t $'\t' <(_access_log_percentiles 2 <<<"$rows") \
    <(_access_log_percentiles 3 <<<"$rows" | cut -f1,3,4) |
    awk -F '\t' '{ printf "%8d %7s %7s %8s %8s   %s\n", $2, $3, $4, $5, $6, $1 }'
}
