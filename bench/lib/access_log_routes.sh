# shellcheck shell=bash
# Like access_log_times (bench/lib/access_log_times.sh, which must be sourced first: this uses its
# access_log_size and _access_log_percentiles), but grouped by route: the method plus the path
# without its query string, with every all-digit path segment written as {n}. So 1,000 different
# "POST /api/v1/streams/7/queue/ITEM/move" requests are one line,
# "POST /api/v1/streams/{n}/queue/{n}/move", and an add and a removal on the same queue are two.
#
#   access_log_route_times FILE START_BYTE [PREFIX]
#       reads the lines written after START_BYTE whose path starts with PREFIX (default /api/),
#       skipping 499s (wrk closing its connections at the end of a run), and prints one line per
#       route and one for all of them: requests, rt p50/p99, urt p50/p99 (ms; nginx logs both
#       with 1 ms resolution)
#
# Source it; it defines functions and sets nothing else.

_access_log_route_rows() {
  tail -c +"$(($2 + 1))" "$1" | awk -v prefix="$3" '
    {
      method = ""; path = ""; status = ""; rt = ""; urt = ""
      if (match($0, /"[A-Z]+ [^ ]+ HTTP\/[0-9.]+" [0-9]+/)) {
        split(substr($0, RSTART + 1, RLENGTH - 1), f, " ")
        method = f[1]; path = f[2]; status = f[4]
      }
      if (match($0, / rt=[0-9.]+/)) rt = substr($0, RSTART + 4, RLENGTH - 4)
      if (match($0, / urt=[0-9.]+/)) urt = substr($0, RSTART + 5, RLENGTH - 5)
      if (path == "" || rt == "" || urt == "" || status == "499") next
      if (index(path, prefix) != 1) next
      sub(/\?.*/, "", path)
      n = split(path, seg, "/"); route = ""
      for (i = 2; i <= n; i++) route = route "/" (seg[i] ~ /^[0-9]+$/ ? "{n}" : seg[i])
      printf "%s %s\t%.0f\t%.0f\n", method, route, rt * 1000, urt * 1000
      printf "(all)\t%.0f\t%.0f\n", rt * 1000, urt * 1000
    }'
}

access_log_route_times() {
  local file="$1" start="$2" prefix="${3:-/api/}" rows
  [[ -r "$file" ]] || return 0
  rows="$(_access_log_route_rows "$file" "$start" "$prefix")"
  [[ -n "$rows" ]] || return 0
  printf '%8s %7s %7s %8s %8s   %s\n' requests 'rt p50' 'rt p99' 'urt p50' 'urt p99' \
    'route (ms, nginx access log: rt = whole request, urt = sattva-fcgi)'
  LC_ALL=C join -t $'\t' <(_access_log_percentiles 2 <<<"$rows") \
    <(_access_log_percentiles 3 <<<"$rows" | cut -f1,3,4) |
    awk -F '\t' '{ printf "%8d %7s %7s %8s %8s   %s\n", $2, $3, $4, $5, $6, $1 }'
}
