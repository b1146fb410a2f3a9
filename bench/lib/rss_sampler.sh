# shellcheck shell=bash
# Memory of a process while something else runs, from /proc/PID/status.
#
#   proc_status_kb PID FIELD
#       prints FIELD (VmRSS, VmHWM, ...) of PID in kB, or 0 when it cannot be read
#   rss_sample_while WATCH_PID PID INTERVAL_S
#       prints PID's VmRSS in kB, one line per sample, every INTERVAL_S seconds for as long as
#       WATCH_PID runs (one sample before the first wait and one after WATCH_PID ends)
#
# Source it; it defines functions and sets nothing else.

proc_status_kb() {
  if [[ -r "/proc/$1/status" ]]; then
    awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status"
  else
    echo 0
  fi
}

rss_sample_while() {
  local watch="$1" pid="$2" interval="$3"
  while kill -0 "$watch" 2>/dev/null; do
    proc_status_kb "$pid" VmRSS
    sleep "$interval"
  done
  proc_status_kb "$pid" VmRSS
}
