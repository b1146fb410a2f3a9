# shellcheck shell=bash
# Helpers shared by ./sattva and bench/*.sh. Source it; it defines functions and sets nothing else.
# The caller sets `set -euo pipefail`.

# --- messages ---------------------------------------------------------------------------------

if [[ -t 1 ]]; then
  _C_BOLD=$'\e[1m' _C_RED=$'\e[31m' _C_GREEN=$'\e[32m' _C_YELLOW=$'\e[33m' _C_OFF=$'\e[0m'
else
  _C_BOLD='' _C_RED='' _C_GREEN='' _C_YELLOW='' _C_OFF=''
fi

say() { printf '%s==>%s %s\n' "$_C_BOLD" "$_C_OFF" "$*"; }
ok() { printf '    %s%s%s\n' "$_C_GREEN" "$*" "$_C_OFF"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$_C_YELLOW" "$_C_OFF" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$_C_RED" "$_C_OFF" "$*" >&2
  exit 1
}

# --- Debian packages --------------------------------------------------------------------------

# Prints the packages among "$@" that are not installed, one per line.
missing_packages() {
  local p status
  for p in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

# Installs whichever of "$@" are missing. Runs apt-get only when something is missing.
ensure_packages() {
  command -v dpkg-query >/dev/null || die "dpkg-query not found: ./sattva expects Debian 12"
  local missing=()
  mapfile -t missing < <(missing_packages "$@")
  if ((${#missing[@]} == 0)); then
    ok "packages: all $# present"
    return 0
  fi
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null ||
      die "missing packages: ${missing[*]}; run as root, or install them: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing ${#missing[@]} missing package(s): ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  mapfile -t missing < <(missing_packages "$@")
  ((${#missing[@]} == 0)) || die "still missing after apt-get install: ${missing[*]}"
  ok "packages: installed"
}

# --- processes --------------------------------------------------------------------------------

# pid_running PID: the process exists and is not a zombie (an exited process whose parent, often
# PID 1 for our detached daemons, has not reaped it yet).
pid_running() {
  local pid="$1" stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# pid_alive PID NAME: PID is a live process whose command line mentions NAME (guards against a
# stale pid file whose pid was reused by something else).
pid_alive() {
  local pid="$1" name="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_running "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$name"
}

# read_pid FILE: prints the first line of FILE if it is a number.
read_pid() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(head -n 1 "$f" 2>/dev/null || true)"
  pid="${pid//[[:space:]]/}"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

# stop_pid PID NAME [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 10), then SIGKILL.
# Prints how it ended: "stopped" or "killed".
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-10}" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_running "$pid" || { echo stopped; return 0; }
    sleep 0.1
  done
  warn "$name (pid $pid) did not exit ${timeout}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_running "$pid" || break
    sleep 0.1
  done
  echo killed
}

# port_open HOST PORT: something accepts TCP connections there.
port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# http_code URL: prints the HTTP status (000 when nothing answered).
http_code() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

# --- files ------------------------------------------------------------------------------------

# random_secret: 48 hex characters from /dev/urandom (safe in DSNs and config files unquoted).
random_secret() {
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# render_template IN OUT NAME=VALUE...: replaces every @NAME@ in IN with VALUE, writes OUT, and
# fails if a placeholder is left.
render_template() {
  local in="$1" out="$2" text kv name value left
  shift 2
  text="$(<"$in")"
  for kv in "$@"; do
    name="${kv%%=*}"
    value="${kv#*=}"
    text="${text//"@${name}@"/"$value"}"
  done
  left="$(grep -oE '@[A-Z_]+@' <<<"$text" | sort -u | tr '\n' ' ' || true)"
  [[ -z "$left" ]] || die "$in: placeholders left unrendered: $left"
  printf '%s\n' "$text" >"$out.tmp.$$"
  mv -f "$out.tmp.$$" "$out"
}
