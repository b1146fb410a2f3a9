#!/usr/bin/env bash
# Seeds 10,000 users (once) and load-tests the users search, GET /api/v1/users?q=..., through nginx
# with wrk. Target: p99 <= 10 ms. Needs the stack from `./sattva up`.
#
# Authentication does not depend on the first admin's password: the script makes (or reuses) a
# bench admin, bench-admin@sattva.test, directly in PostgreSQL, gives it a fresh API token for the
# run (only the token's SHA-256 is stored, as the server expects) and deletes the token on exit.
# The seeded users all have emails @bench.sattva.test; seeding is skipped when they exist.
#
#   BENCH_BASE_URL     default http://127.0.0.1:8080
#   BENCH_DURATION     seconds per scenario, default 10
#   BENCH_CONNECTIONS  default 8
#   BENCH_THREADS      default 2 (wrk threads)
#   BENCH_WARMUP       seconds of unreported warm-up before the scenarios, default 2 (0: none)
#   BENCH_USERS        users to seed, default 10000
#   BENCH_QUERIES      the q values the search scenarios cycle through (space separated)
#   BENCH_TARGET_P99_MS  default 10
#   BENCH_PG_HOST, BENCH_PG_PORT  default 127.0.0.1, 5433 (database and role sattva, password
#                      from var/secrets/pg_password)
#   BENCH_ACCESS_LOG   nginx access log read for the per-path breakdown, default var/log/nginx-access.log
#
# Exits 1 when a search scenario (the ones with q) misses the p99 target or gets a non-2xx answer;
# the browse scenario (no q) is reported for information only.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib/access_log_times.sh
source "$ROOT/bench/lib/access_log_times.sh"
# shellcheck source=bench/lib/bench_setup.sh
source "$ROOT/bench/lib/bench_setup.sh"

base_url="${BENCH_BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"
duration="${BENCH_DURATION:-10}"
connections="${BENCH_CONNECTIONS:-8}"
threads="${BENCH_THREADS:-2}"
warmup="${BENCH_WARMUP:-2}"
seed_users="${BENCH_USERS:-10000}"
target_ms="${BENCH_TARGET_P99_MS:-10}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5433}"
access_log="${BENCH_ACCESS_LOG:-$ROOT/var/log/nginx-access.log}"
read -r -a queries <<<"${BENCH_QUERIES:-novak ingrid okafor lindq 417 tanaka.m ferreira sofia}"

for v in duration connections threads seed_users; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v^^} must be a positive integer, got '${!v}'"
done
[[ "$warmup" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a whole number of seconds, got '$warmup'"
[[ "$target_ms" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_TARGET_P99_MS must be a number, got '$target_ms'"
((seed_users <= 1000000)) || die "BENCH_USERS must be at most 1000000, got $seed_users"
((${#queries[@]})) || die "BENCH_QUERIES is empty"
for q in "${queries[@]}"; do
  # Sent in the URL as they are, so keep them to characters that need no percent-encoding.
  [[ "$q" =~ ^[a-zA-Z0-9._~-]{1,100}$ ]] || die "BENCH_QUERIES: '$q' must be letters, digits, . _ ~ -"
done
((connections >= threads)) || threads="$connections"

readonly BENCH_DOMAIN=bench.sattva.test
readonly BENCH_ADMIN_EMAIL=bench-admin@sattva.test
readonly TOKEN_NAME=bench/users.sh

command -v wrk >/dev/null || ensure_packages wrk
command -v psql >/dev/null || ensure_packages postgresql-client

# --- is the stack up? -------------------------------------------------------------------------

bench_require_stack "$base_url"
bench_pg_init "$ROOT" "$pg_host" "$pg_port"

# --- seed users -------------------------------------------------------------------------------

count_seeded() {
  psql_bench -tA -c "SELECT count(*) FROM users WHERE email LIKE '%@$BENCH_DOMAIN'"
}

# Every seeded row is a pure function of its number i (names picked by hashtext), so a partial
# seed is completed by inserting 1..N again and skipping the emails that exist.
seed_sql() {
  cat <<SQL
WITH names AS (
  SELECT
    ARRAY['Anna','Ingrid','Sofia','Maria','Elena','Olga','Aiko','Mei','Priya','Amara','Chloe',
          'Lucia','Hanna','Fatima','Yuki','Noor','Isabel','Camille','Greta','Zofia','Leila',
          'Nadia','Carmen','Astrid','Freya','Keiko','Ana','Lena','Ruth','Esther','Paula','Irene',
          'Daria','Vera','Alma','Nina','Rosa','Selma','Thandi','Wanjiru','Ayesha','Mirela','Jana',
          'Ewa','Katarina','Ilse','Bianca','Siobhan','Maeve','Oona','Kalinda','Tamar','Dalia',
          'Marek','Jonas','Lars','Erik','Mateo','Diego','Luca','Pavel','Ivan','Hiroshi','Kenji',
          'Ravi','Arjun','Kwame','Chidi','Tomas','Felix','Oskar','Emil','Henrik','Pierre','Louis',
          'Marco','Paolo','Sergio','Andres','Rafael','Omar','Yusuf','Hassan','Dmitri','Nikolai',
          'Stefan','Tobias','Jakob','Samuel','Daniel','Gabriel','Viktor','Anton','Bruno','Hugo',
          'Milan','Bogdan','Teodor','Kofi','Tariq','Wei','Jun','Hamid','Ciaran','Eamon','Rhys',
          'Aled','Sven','Nils','Joaquin','Thiago','Kai','Ilya','Goran','Ahmet']::text[] AS f,
    ARRAY['Novak','Lindqvist','Okafor','Tanaka','Ferreira','Kowalski','Nguyen','Haddad','Moreau',
          'Rossi','Jensen','Petrov','Schmidt','Dubois','Ivanova','Kim','Chen','Singh','Patel',
          'Mensah','Adeyemi','Yamamoto','Suzuki','Costa','Santos','Oliveira','Silva','Lopez',
          'Garcia','Martinez','Fernandez','Romero','Navarro','Bianchi','Ricci','Marino','Greco',
          'Conti','Fischer','Weber','Becker','Hoffmann','Wagner','Koch','Richter','Klein','Wolf',
          'Neumann','Larsen','Nielsen','Hansen','Andersen','Berg','Dahl','Holm','Strand','Nyberg',
          'Lundgren','Ekstrom','Virtanen','Korhonen','Makinen','Nieminen','Horvat','Kovac',
          'Babic','Juric','Nowak','Wisniewski','Wojcik','Kaminski','Lewandowski','Zielinski',
          'Szabo','Toth','Nagy','Varga','Molnar','Popescu','Ionescu','Dumitru','Georgiev',
          'Dimitrov','Papadopoulos','Nikolaidis','Yilmaz','Demir','Sahin','Celik','Ozturk',
          'Cohen','Levi','Mizrahi','Friedman','Khan','Ahmed','Hussain','Rahman','Chowdhury',
          'Sharma','Gupta','Iyer','Reddy','Nair','Menon','Bose','Das','Sato','Watanabe','Ito',
          'Nakamura','Kobayashi','Kato','Yoshida','Park','Lee','Choi','Jung','Kang','Cho','Yoon',
          'Tran','Pham','Hoang','Vu','Wong','Liu','Zhang','Huang','Zhao','Wu','Zhou','Xu',
          'Obi','Eze','Nwosu','Balogun','Owusu','Boateng','Asante','Mwangi','Otieno','Kamau',
          'Dlamini','Nkosi','Botha','Murphy','Kelly','Byrne','Walsh','Quinn','Evans','Hughes',
          'Price','Morgan','Lloyd','Fraser','Campbell','Stewart','Reid','MacLeod','Abbott',
          'Whitfield','Ashdown','Pemberton','Fairbanks','Thornton','Blackwood','Harrington',
          'Castellano','Villanueva','Delacroix','Beaumont','Valentin','Sorensen','Halvorsen',
          'Bergstrom','Lindholm','Sandberg','Engstrom','Forsberg','Hedlund','Sjoberg',
          'Karlsson','Eriksson','Magnusson','Gustafsson','Axelsson','Olsen']::text[] AS l
), people AS (
  SELECT i,
         f[1 + (hashtext('first' || i) & 2147483647) % cardinality(f)] AS first,
         l[1 + (hashtext('last' || i) & 2147483647) % cardinality(l)] AS last
  FROM names, generate_series(1, $seed_users) AS i
)
INSERT INTO users (email, display_name, role, status, created_at, updated_at, last_login_at)
SELECT lower(CASE i % 4
               WHEN 0 THEN first || '.' || last
               WHEN 1 THEN left(first, 1) || last
               WHEN 2 THEN first || '_' || last
               ELSE last || '.' || first
             END || i || '@$BENCH_DOMAIN'),
       CASE WHEN i % 7 = 0 THEN first || ' ' || left(last, 1) || '.' ELSE first || ' ' || last END,
       CASE WHEN i % 25 = 0 THEN 'moderator' ELSE 'user' END,
       CASE WHEN i % 31 = 0 THEN 'deleted' WHEN i % 17 = 0 THEN 'blocked' ELSE 'active' END,
       now() - make_interval(mins => (hashtext('created' || i) & 2147483647) % 1051200),
       now() - make_interval(mins => (hashtext('updated' || i) & 2147483647) % 10000),
       CASE WHEN i % 5 = 0 THEN NULL
            ELSE now() - make_interval(mins => (hashtext('login' || i) & 2147483647) % 100000) END
FROM people
ON CONFLICT ((lower(email))) DO NOTHING;
SQL
}

say "dataset: users @$BENCH_DOMAIN"
seeded="$(count_seeded)"
if ((seeded >= seed_users)); then
  ok "$seeded seeded users already exist; seeding skipped"
else
  note "$seeded of $seed_users exist; seeding the rest in one INSERT ... generate_series"
  t0=$SECONDS
  psql_bench -c "$(seed_sql)" >/dev/null
  psql_bench -c 'ANALYZE users' >/dev/null
  seeded="$(count_seeded)"
  ok "seeded: $seeded users @$BENCH_DOMAIN in $((SECONDS - t0))s (and ANALYZE users)"
fi
total_rows="$(psql_bench -tA -c 'SELECT count(*) FROM users')"
note "users table: $total_rows rows in all"

# --- bench admin and its API token ------------------------------------------------------------

tmp_dir="$(mktemp -d)"
cleanup() {
  bench_admin_token_delete
  rm -rf "$tmp_dir"
}
trap cleanup EXIT
# Tokens left by an earlier run that was killed go first (bench/lib/bench_setup.sh).
bench_admin_token "$BENCH_ADMIN_EMAIL" 'Bench admin (bench/users.sh)' "$TOKEN_NAME"
admin_id="$BENCH_ADMIN_ID"
token="$BENCH_TOKEN"
ok "bench admin $BENCH_ADMIN_EMAIL (id $admin_id) with a fresh API token (deleted on exit)"
auth_header="Authorization: Bearer $token"

# --- scenarios --------------------------------------------------------------------------------

# name|gate|path template. @Q@ becomes each q in turn (the path is used as is without @Q@). gate:
# "target" scenarios decide PASS/FAIL; "info" ones are reported against the target but do not.
scenarios=(
  "search|target|/api/v1/users?q=@Q@&per_page=20"
  "search_role_sorted|target|/api/v1/users?q=@Q@&role=user&sort=email&order=desc&per_page=20"
  "browse_role_sorted|info|/api/v1/users?role=user&sort=email&order=desc&per_page=20"
)

paths_for() {
  local tmpl="$1" q
  if [[ "$tmpl" == *@Q@* ]]; then
    for q in "${queries[@]}"; do printf '%s\n' "${tmpl//@Q@/$q}"; done
  else
    printf '%s\n' "$tmpl"
  fi
}

# Checks every path once and shows how many users it matches.
say "checking each request once (total = users matched)"
for s in "${scenarios[@]}"; do
  name="${s%%|*}"
  paths_for "${s##*|}" >"$tmp_dir/$name.paths"
  while IFS= read -r path; do
    body="$(curl -s -m 10 -H "$auth_header" -w '\n%{http_code}' "$base_url$path")" ||
      die "GET $path: no answer"
    status="${body##*$'\n'}"
    body="${body%$'\n'*}"
    [[ "$status" == 200 ]] || die "GET $path answered $status: ${body:0:300}"
    total="$(sed -n 's/.*"total"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' <<<"$body" | head -n 1)"
    note "$(printf '%-20s %6s  %s' "$name" "${total:-?}" "$path")"
  done <"$tmp_dir/$name.paths"
done

# How busy the CPUs are with other work, over one second before the run (cpu_busy_pct, from
# bench/lib/bench_setup.sh): the stack, wrk and anything else on the machine share them, so other
# work inflates the latencies.
warn_if_busy
cores="$BENCH_CORES"
busy_before="$BENCH_BUSY_BEFORE"

if ((warmup > 0)); then
  say "warm-up: ${warmup}s (not reported)"
  BENCH_PATHS_FILE="$tmp_dir/search.paths" wrk -t "$threads" -c "$connections" -d "${warmup}s" \
    -H "$auth_header" -s "$ROOT/bench/lib/rotate_paths.lua" "$base_url" >/dev/null
fi

# summary_value FILE KEY (bench/lib/bench_setup.sh): the number after "KEY: " in latency.lua's
# summary.
results=()
failed=0
for s in "${scenarios[@]}"; do
  name="${s%%|*}"
  gate="${s#*|}" gate="${gate%%|*}"
  say "wrk: $name, ${duration}s, $threads threads, $connections connections, $(wc -l <"$tmp_dir/$name.paths") path(s) in turn"
  log_start="$(access_log_size "$access_log")"
  BENCH_PATHS_FILE="$tmp_dir/$name.paths" wrk --latency -t "$threads" -c "$connections" \
    -d "${duration}s" -H "$auth_header" -s "$ROOT/bench/lib/rotate_paths.lua" "$base_url" |
    tee "$tmp_dir/$name.out"
  out="$tmp_dir/$name.out"
  rps="$(summary_value "$out" 'requests\/s')" p50="$(summary_value "$out" p50)"
  p99="$(summary_value "$out" p99)" non2xx="$(summary_value "$out" non-2xx)"
  [[ -n "$p99" && -n "$non2xx" ]] || die "no summary from wrk for $name (see its output above)"
  access_log_times "$access_log" "$log_start" /api/v1/users | sed 's/^/    /'
  if awk -v p="$p99" -v t="$target_ms" 'BEGIN { exit !(p <= t) }' && [[ "$non2xx" == 0 ]]; then
    verdict=PASS
  else
    verdict=FAIL
  fi
  if [[ "$gate" == info ]]; then
    verdict="($verdict, for information)"
  elif [[ "$verdict" == FAIL ]]; then
    failed=1
  fi
  results+=("$(printf '%-20s %10s %10s %10s %8s   %s' "$name" "$rps" "$p50 ms" "$p99 ms" "$non2xx" "$verdict")")
done

# --- context: the plans ----------------------------------------------------------------------

# search_sql Q ROLE ORDER: the statement UserStore::List (fcgi/users.cc) runs for
# ?q=Q&role=ROLE&sort=...&per_page=20, with the parameters written in (the server sends them
# separately, but an unnamed statement is planned with their values, so the plan is the same).
# Keep it in step with fcgi/users.cc.
search_sql() {
  local pat="" role="$2" order="$3" f="'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"
  [[ -z "$1" ]] || pat="%${1//_/\\_}%"   # LIKE wildcards are literal in the API's search
  cat <<SQL
SELECT id, email, display_name, telegram_id, role, status, password_hash,
       to_char(created_at AT TIME ZONE 'UTC', $f) AS created_at,
       to_char(updated_at AT TIME ZONE 'UTC', $f) AS updated_at,
       coalesce(to_char(last_login_at AT TIME ZONE 'UTC', $f), '') AS last_login_at,
       count(*) OVER () AS total
FROM users
WHERE ('$pat' = '' OR email ILIKE '$pat' OR display_name ILIKE '$pat')
  AND ('$role' = '' OR role = '$role')
  AND (CASE WHEN '' = '' THEN status IN ('active', 'blocked') ELSE status = '' END)
ORDER BY $order LIMIT 20 OFFSET 0
SQL
}

say "EXPLAIN ANALYZE of the search for q=${queries[0]} (the statement fcgi/users.cc runs)"
psql_bench -c "EXPLAIN (ANALYZE, BUFFERS) $(search_sql "${queries[0]}" "" "id ASC")" | sed 's/^/    /'

say "plan and time of each search in PostgreSQL alone (one warmed-up session)"
{
  printf '%s;\n' "EXPLAIN ANALYZE $(search_sql "${queries[0]}" "" "id ASC")"   # warms the caches
  for q in "${queries[@]}"; do
    for variant in "|id ASC" "user|email DESC, id DESC"; do
      printf '\\echo @@ %s|%s\n' "$q" "${variant#*|}"
      printf '%s;\n' "EXPLAIN ANALYZE $(search_sql "$q" "${variant%%|*}" "${variant#*|}")"
    done
  done
} | psql_bench -f - | awk '
  function flush() {
    if (key != "") printf "    %-10s %-20s planning %-9s execution %-9s %s\n", q, order, planning, execution, scan
  }
  /^@@ / { flush(); key = substr($0, 4); split(key, k, "|"); q = k[1]; order = k[2]; scan = ""; next }
  key == "" { next }
  scan == "" && match($0, /(Bitmap Heap Scan|Index Scan using [a-z_]+|Index Only Scan using [a-z_]+|Seq Scan)/) {
    scan = substr($0, RSTART, RLENGTH)
  }
  /Planning Time:/ { planning = $3 " " $4 }
  /Execution Time:/ { execution = $3 " " $4 }
  END { flush() }'

# --- summary ----------------------------------------------------------------------------------

echo
printf -- '--- users bench: %s seeded users (%s rows in users), %s connections, %s wrk threads, %ss per scenario ---\n' \
  "$seeded" "$total_rows" "$connections" "$threads" "$duration"
printf 'machine: %s cores, %s%% busy with other work just before the run\n' "$cores" "$busy_before"
printf '%-20s %10s %10s %10s %8s   %s\n' scenario requests/s p50 p99 non-2xx "p99 <= ${target_ms} ms"
printf '%s\n' "${results[@]}"
if ((failed)); then
  printf 'result: FAIL (a search scenario missed p99 <= %s ms or got non-2xx answers)\n' "$target_ms"
  exit 1
fi
printf 'result: PASS (every search scenario p99 <= %s ms, no non-2xx)\n' "$target_ms"
