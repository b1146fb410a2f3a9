# shellcheck shell=bash
# Where a benchmark's CPU time went, by component of the dev stack: PostgreSQL (the postmaster and
# all its children: the backends of sattva-fcgi's connections, WAL writer, checkpointer...),
# redis-server, sattva-fcgi (all threads), nginx (master and workers), sattva-wsd,
# sattva-streamer, and everything else on the machine (wrk itself, kernel threads, anything
# unrelated). Read from /proc: user + system time.
#
#   cpu_split_snapshot RUN_DIR > FILE
#       one "name ticks" line per component (pids from RUN_DIR/NAME.pid), "busy" and "all" ticks
#       for the whole machine, and "wall" (seconds since the epoch)
#   cpu_split_report BEFORE_FILE AFTER_FILE
#       one line: each component's CPU over the interval in % of one core (so on N cores the
#       machine has N x 100%), the rest ("other") and the idle share
#
# Source it; it defines functions and sets nothing else. Processes that exit between the two
# snapshots are not counted (their time lands in "other"); ones that start count from their start.

# _cpu_ticks PID...: utime + stime of those processes (all their threads), summed.
_cpu_ticks() {
  local pid stat sum=0 f
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"   # after "pid (comm) "; fields from 3 (state) on
    read -r -a f <<<"$stat"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

# _cpu_tree PID: PID and its direct children.
_cpu_tree() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 0
  echo "$1"
  ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

cpu_split_snapshot() {
  local run_dir="$1" name pid pids a busy all v
  for name in postgres redis fcgi nginx wsd streamer; do
    pid="$(head -n 1 "$run_dir/$name.pid" 2>/dev/null | tr -d '[:space:]' || true)"
    mapfile -t pids < <(_cpu_tree "$pid")
    echo "$name $(_cpu_ticks "${pids[@]}")"
  done
  read -r -a a < <(head -n 1 /proc/stat)
  all=0
  for v in "${a[@]:1:8}"; do all=$((all + v)); done   # user..steal
  busy=$((all - a[4] - a[5]))                           # minus idle and iowait
  echo "busy $busy"
  echo "all $all"
  echo "wall $(date +%s.%N)"
}

cpu_split_report() {
  awk -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" '
    FNR == NR { before[$1] = $2; next }
    { after[$1] = $2 }
    END {
      secs = after["wall"] - before["wall"]
      if (secs <= 0) exit
      one = hz * secs                           # ticks of one core over the interval
      n = split("postgres redis fcgi nginx wsd streamer", names, " ")
      line = ""; known = 0
      for (i = 1; i <= n; i++) {
        d = after[names[i]] - before[names[i]]; known += d
        line = line sprintf("%s %.0f%%, ", names[i], 100 * d / one)
      }
      busy = after["busy"] - before["busy"]; all = after["all"] - before["all"]
      other = busy - known; if (other < 0) other = 0
      idle = 0; if (all > 0) idle = 100 * (all - busy) / all
      printf "cpu (%% of one core, %d cores = %d%%): %sother (wrk, kernel, rest) %.0f%%; machine idle %.0f%%\n",
             cores, 100 * cores, line, 100 * other / one, idle
    }' "$1" "$2"
}
