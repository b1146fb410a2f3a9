# shellcheck shell=bash
# What a benchmark's requests cost PostgreSQL and Redis in stored bytes: WAL written (every byte of
# it is flushed to disk before a commit returns), and, on the Redis side, memory, AOF rewrites
# (each one forks redis-server and writes the whole dataset again; with `appendfsync always` every
# write command is also written and fsynced to the AOF first) and the events stream
# sattva:events (length and the size of its newest entry, which every reader, sattva-wsd included,
# reads).
#
# Needs psql_bench (bench/lib/bench_setup.sh, after bench_pg_init). The Redis part needs redis-cli
# and ROOT/var/secrets/redis_password (what ./sattva up generated); without them it is skipped.
#
#   store_stats_snapshot ROOT REDIS_HOST REDIS_PORT > FILE
#       "wal_lsn LSN", and when Redis answers: "aof_rewrites N", "used_memory BYTES"
#   store_stats_report BEFORE_FILE AFTER_FILE REQUESTS ROOT REDIS_HOST REDIS_PORT
#       one line for PostgreSQL (WAL bytes in all and per request) and one for Redis
#
# Source it; it defines functions and sets nothing else.

_store_redis_cli() {
  local root="$1" host="$2" port="$3" pw_file="$1/var/secrets/redis_password"
  shift 3
  command -v redis-cli >/dev/null && [[ -r "$pw_file" ]] || return 1
  REDISCLI_AUTH="$(head -n 1 "$pw_file")" timeout 5 redis-cli -h "$host" -p "$port" "$@"
}

store_stats_snapshot() {
  local info
  echo "wal_lsn $(psql_bench -tA -c 'SELECT pg_current_wal_lsn()')"
  info="$(_store_redis_cli "$1" "$2" "$3" INFO 2>/dev/null | tr -d '\r')" || return 0
  sed -n 's/^\(aof_rewrites\|used_memory\):\([0-9]*\)$/\1 \2/p' <<<"$info"
}

store_stats_report() {
  local before="$1" after="$2" requests="$3" root="$4" host="$5" port="$6" wal a b xlen newest
  a="$(sed -n 's/^wal_lsn //p' "$before")" b="$(sed -n 's/^wal_lsn //p' "$after")"
  if [[ -n "$a" && -n "$b" ]]; then
    wal="$(psql_bench -tA -c "SELECT pg_wal_lsn_diff('$b', '$a')::bigint")"
    awk -v w="$wal" -v n="$requests" 'BEGIN {
      printf "postgres: %.1f MB of WAL", w / 1e6
      if (n > 0) printf ", %.0f bytes per request", w / n
      printf "\n" }'
  fi
  grep -q '^used_memory ' "$after" || return 0
  xlen="$(_store_redis_cli "$root" "$host" "$port" XLEN sattva:events 2>/dev/null | tr -d '\r')" || xlen='?'
  newest="$(_store_redis_cli "$root" "$host" "$port" XREVRANGE sattva:events + - COUNT 1 \
    2>/dev/null | wc -c)" || newest='?'
  awk -v xlen="$xlen" -v newest="$newest" '
    FNR == NR { before[$1] = $2; next }
    { after[$1] = $2 }
    END {
      printf "redis: used_memory %.0f -> %.0f MB, %d AOF rewrite(s) during the run; sattva:events: %s entries, the newest about %s bytes\n",
             before["used_memory"] / 1048576, after["used_memory"] / 1048576,
             after["aof_rewrites"] - before["aof_rewrites"], xlen, newest
    }' "$before" "$after"
}
