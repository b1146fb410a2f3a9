# shellcheck shell=bash
# Setup shared by the benchmarks that need an authenticated API client (bench/users.sh,
# bench/queue.sh). Source it after scripts/lib.sh (it uses say/ok/note/warn/die, http_code and
# random_secret); it defines functions and sets nothing until they are called.
#
#   bench_require_stack BASE_URL
#       stops with a clear message unless BASE_URL/api/v1/health answers 200 (through nginx)
#   bench_pg_init ROOT HOST PORT
#       exports PGPASSWORD from ROOT/var/secrets/pg_password and checks that psql_bench reaches
#       PostgreSQL at HOST:PORT (database and role sattva); stops with a clear message otherwise
#   psql_bench ARGS...
#       psql on that database: no psqlrc, quiet, stops at the first error
#   bench_admin_token EMAIL DISPLAY_NAME TOKEN_NAME
#       creates (or reuses, making it an active admin again) the user EMAIL directly in PostgreSQL
#       and gives it a fresh API token named TOKEN_NAME; tokens of that name left by an earlier run
#       go first. Only the token's SHA-256 is stored, which is how the server checks bearer
#       tokens. Sets BENCH_ADMIN_ID and BENCH_TOKEN. DISPLAY_NAME is used when the user is new.
#   bench_admin_token_delete
#       deletes the token bench_admin_token made (call it from an EXIT trap set before
#       bench_admin_token, so a run stopped at any point leaves no token behind)
#   cpu_busy_pct
#       how busy the CPUs were (percent, all cores) over the next second
#   summary_value FILE KEY
#       the number after "KEY: " in the last latency.lua summary in FILE (KEY is a sed regex)

bench_require_stack() {
  local base_url="$1" code
  code="$(http_code "$base_url/api/v1/health")"
  if [[ "$code" != 200 ]]; then
    [[ "$code" == 000 ]] && die "nothing answers at $base_url: start the stack first with ./sattva up"
    die "$base_url/api/v1/health answered $code, not 200: the stack is not healthy (see ./sattva status)"
  fi
}

_bench_pg_host=127.0.0.1
_bench_pg_port=5433

psql_bench() {
  PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h "$_bench_pg_host" -p "$_bench_pg_port" \
    -U sattva -d sattva "$@"
}

bench_pg_init() {
  local pw_file="$1/var/secrets/pg_password"
  _bench_pg_host="$2"
  _bench_pg_port="$3"
  [[ -r "$pw_file" ]] || die "$pw_file not found: start the stack first with ./sattva up"
  PGPASSWORD="$(head -n 1 "$pw_file")"
  export PGPASSWORD
  psql_bench -tA -c 'SELECT 1' >/dev/null 2>&1 ||
    die "cannot connect to PostgreSQL at $_bench_pg_host:$_bench_pg_port as sattva: start the stack first with ./sattva up"
}

BENCH_ADMIN_ID=''
BENCH_TOKEN=''
_bench_token_name=''

# SQL string literal (single quotes doubled).
_bench_sql_str() { printf "'%s'" "${1//\'/\'\'}"; }

bench_admin_token() {
  local email="$1" display_name="$2" name="$3" id hash
  id="$(psql_bench -tA -c "
    INSERT INTO users (email, display_name, role, status)
    VALUES ($(_bench_sql_str "$email"), $(_bench_sql_str "$display_name"), 'admin', 'active')
    ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin', status = 'active'
    RETURNING id")"
  id="${id%%$'\n'*}"
  [[ "$id" =~ ^[0-9]+$ ]] || die "could not create the bench admin $email"
  BENCH_ADMIN_ID="$id"
  _bench_token_name="$name"
  BENCH_TOKEN="sat_bench_$(random_secret)"
  hash="$(printf '%s' "$BENCH_TOKEN" | sha256sum | cut -d' ' -f1)"
  psql_bench -c "DELETE FROM api_tokens WHERE user_id = $id AND name = $(_bench_sql_str "$name");
    INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($id, $(_bench_sql_str "$name"), '$hash')" \
    >/dev/null
}

bench_admin_token_delete() {
  [[ -n "$BENCH_ADMIN_ID" && -n "$_bench_token_name" ]] || return 0
  psql_bench -c "DELETE FROM api_tokens WHERE user_id = $BENCH_ADMIN_ID
    AND name = $(_bench_sql_str "$_bench_token_name")" >/dev/null 2>&1 ||
    warn "could not delete the bench API token (name '$_bench_token_name')"
}

# api METHOD PATH [JSON]: one request to $base_url with the bench token ($BENCH_TOKEN, from
# bench_admin_token); sets api_status and api_body. BENCH_API_TIMEOUT (seconds, default 60).
api_status='' api_body=''
api() {
  local args=(-s -m "${BENCH_API_TIMEOUT:-60}" -X "$1" -H "Authorization: Bearer $BENCH_TOKEN"
    -w '\n%{http_code}') out
  (($# < 3)) || args+=(-H 'Content-Type: application/json' --data-binary "$3")
  out="$(curl "${args[@]}" "$base_url$2")" || die "$1 $2: no answer from $base_url"
  api_status="${out##*$'\n'}"
  api_body="${out%$'\n'*}"
}

# api_expect STATUS METHOD PATH [JSON]: api, and stop unless it answered STATUS.
api_expect() {
  local want="$1"
  shift
  api "$@"
  [[ "$api_status" == "$want" ]] || die "$1 $2 answered $api_status, not $want: ${api_body:0:300}"
}

cpu_busy_pct() {
  local a b
  read -r -a a < <(head -n 1 /proc/stat)
  sleep 1
  read -r -a b < <(head -n 1 /proc/stat)
  awk -v a="${a[*]:1}" -v b="${b[*]:1}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) { d = y[i] - x[i]; total += d; if (i == 4 || i == 5) idle += d }
    pct = 0
    if (total > 0) pct = 100 * (total - idle) / total
    printf "%.0f\n", pct }'
}

summary_value() { sed -n "s/^$2: \([^ ]*\).*/\1/p" "$1" | tail -n 1; }

# warn_if_busy: sets BENCH_CORES and BENCH_BUSY_BEFORE (cpu_busy_pct over one second), and warns
# when other work keeps the CPUs busy: the stack, wrk and everything else share them, so other
# work inflates the latencies.
warn_if_busy() {
  BENCH_CORES="$(nproc)"
  BENCH_BUSY_BEFORE="$(cpu_busy_pct)"
  if ((BENCH_BUSY_BEFORE > 20)); then
    warn "the CPUs were ${BENCH_BUSY_BEFORE}% busy with other work just before the run ($BENCH_CORES cores): latencies will be inflated"
  fi
}
