# shellcheck shell=bash
# shellcheck disable=SC2034 # stop_seconds, figures, …: set here, read by the scripts that source this
# The test harness of the check scripts (scripts/container-tests, scripts/container-tests-openwebui,
# scripts/validate-deploy): one copy of what each of them had, so that their PASS/FAIL lines, phase lines,
# timing tables and the last line, "N passed, N failed", which .ci/run and people grep, read the same everywhere.
#
#   harness_start NAME DIR   NAME prefixes the script's own lines ([NAME] …); DIR is the script's temporary folder
#                            (check's output goes there; the exit trap removes it). Installs the exit trap.
#   harness_cleanup          (the script's own, optional) runs first in the exit trap, output back on the
#                            script's own descriptors; it stops what the script started.
#   harness_phase_width, harness_time_width   the timing table's columns (the scripts' tables differ).
#   harness_fail_lines       how many lines of a failed check's output are shown (15).
#
# Every wait here has a timeout (wait_until); the exit trap runs on EXIT, INT and TERM alike.

passed=0
failed=0
failures=()
timings=()
figures=()
harness_name=${harness_name:-check}
harness_dir=""
harness_phase_width=${harness_phase_width:-52}
harness_time_width=${harness_time_width:-6}
harness_fail_lines=${harness_fail_lines:-15}
harness_phase_name=""
harness_phase_started=0
stop_seconds=0

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[%s] %s\n' "$harness_name" "$*"; }
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); failures+=("$1"); printf 'FAIL  %s\n' "$1"
  if [[ -n ${2:-} ]]; then printf '%s\n' "$2" | sed 's/^/      | /'; fi
}
# check NAME COMMAND...: one assertion; the command's output is shown when it fails, and kept for the caller
# (last_check_output) when it passes, for figures read from it.
check() {
  local title=$1; shift
  if "$@" >"$harness_dir/check.out" 2>&1; then pass "$title"
  else fail "$title" "$(tail -n "$harness_fail_lines" "$harness_dir/check.out")"; fi
}
last_check_output() { cat "$harness_dir/check.out"; }
# A failure that leaves nothing to test: count it, and let the exit trap clean up and print the summary.
fatal() { fail "$1" "${2:-}"; exit 1; }
# fails COMMAND...: the command fails (a check that a broken input is seen to be broken).
fails() { ! "$@"; }
# phase NAME: ends the running phase (its time into the table) and starts NAME; "" ends the last one.
phase() {
  [[ -n $harness_phase_name ]] && timings+=("$(printf "%-${harness_phase_width}s %${harness_time_width}ss" \
    "$harness_phase_name" "$(elapsed_since "$harness_phase_started")")")
  harness_phase_name=$1; harness_phase_started=$(now)
  [[ -n $harness_phase_name ]] && say "== $harness_phase_name"
  return 0
}
# wait_until TIMEOUT COMMAND...: true once COMMAND succeeds, false when TIMEOUT seconds passed first.
wait_until() {
  local deadline; deadline=$(awk -v t="$(now)" -v d="$1" 'BEGIN { printf "%.3f", t + d }'); shift
  until "$@" >/dev/null 2>&1; do
    awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }' && return 1
    sleep 0.2
  done
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# timed COMMAND...: runs it (its output to DIR/timed.log), the seconds it took in $stop_seconds.
timed() {
  local started status=0; started=$(now)
  "$@" >"$harness_dir/timed.log" 2>&1 || status=$?
  stop_seconds=$(elapsed_since "$started")
  return "$status"
}
# gone PID: the process has exited (a zombie child counts as gone).
gone() { local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0; [[ $stat == *") Z "* ]]; }
# exits_with STATUS COMMAND...: the command ends with that exit status.
exits_with() { local want=$1 status=0; shift; "$@" || status=$?; echo "exit status $status"; [[ $status == "$want" ]]; }

harness_finish() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  # An interruption can run this inside a redirection (a check's output file): back to the script's own.
  exec 1>&7 2>&8
  if declare -F harness_cleanup >/dev/null; then harness_cleanup; fi
  if [[ -n $harness_dir ]]; then
    # Whatever a daemon left mounted under the temporary folder (overlays, shm, netns), deepest first.
    awk -v t="$harness_dir/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$harness_dir"
  fi
  phase ""
  if ((${#figures[@]})); then say "figures:"; printf '  %s\n' "${figures[@]}"; fi
  if ((${#timings[@]})); then say "timings:"; printf '  %s\n' "${timings[@]}"; fi
  if ((${#failures[@]})); then say "failed:"; printf '  %s\n' "${failures[@]}"; fi
  ((status == 0 || failed > 0)) || fail "$harness_name stopped early (status $status)"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0 && status == 0)) || exit 1
  exit 0
}

harness_start() {
  harness_name=$1 harness_dir=$2
  exec 7>&1 8>&2
  trap harness_finish EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
