#!/usr/bin/env bash
# Tests `make up` the way people stop it: SIGTERM to its process group (a supervisor, systemd, a CI
# runner), SIGINT to it (Ctrl-C in a terminal), and a service that dies on its own. Each time every
# service must be gone, the stop must complete ("[up] stopped"), and the dead service must be named.
# make test runs it after the builds; it uses the fixed ports of `make up` (8080, 8081, 9091-9093).
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
set -m # each background job gets its own process group, as in a terminal

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# until_true DEADLINE_S COMMAND...: polls COMMAND until it succeeds; fails after the deadline.
until_true() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
service_pids() { sed -n 's/^\[up\] \([a-z-]*\) started (pid \([0-9]*\),.*/\2/p' "$1"; }
all_dead() {
  local pid
  for pid in $(service_pids "$1"); do ! kill -0 "$pid" 2>/dev/null || return 1; done
}

# start_up LOG: starts `make up` in its own process group and waits until it reports the stack up.
start_up() {
  : >"$1"
  make up >"$1" 2>&1 &
  up_pgid=$!
  if ! until_true 600 grep -q 'infidraw is up' "$1"; then
    fail "make up did not come up; its output:"; tail -n 40 "$1" >&2
    kill -TERM -- "-$up_pgid" 2>/dev/null
    return 1
  fi
  [ "$(service_pids "$1" | wc -l)" -eq 4 ] || { fail "expected 4 service pids in $1"; return 1; }
}

# expect_stopped NAME LOG: every service is gone and the stop ran to its end.
expect_stopped() {
  until_true 60 all_dead "$2" || fail "$1: services still running after 60 s: $(service_pids "$2" | tr '\n' ' ')"
  until_true 60 grep -q '^\[up\] stopped' "$2" || { fail "$1: the stop never completed; output:"; tail -n 20 "$2" >&2; }
}

for sig in TERM INT; do
  log="$out/$sig.log"
  echo "--- SIG$sig to the process group of make up"
  start_up "$log" || continue
  before=$failures
  kill "-$sig" -- "-$up_pgid"
  expect_stopped "SIG$sig" "$log"
  wait "$up_pgid" 2>/dev/null
  [ "$failures" -ne "$before" ] || echo "ok: SIG$sig stopped all four services"
done

echo "--- a service dies (kill -9 tile-delta-go)"
log="$out/crash.log"
if start_up "$log"; then
  before=$failures
  victim="$(sed -n 's/^\[up\] tile-delta-go started (pid \([0-9]*\),.*/\1/p' "$log")"
  kill -KILL "$victim"
  wait "$up_pgid"; status=$?
  [ "$status" -ne 0 ] || fail "make up exited 0 after a service died"
  grep -q "^\[up\] tile-delta-go exited with status 137" "$log" || { fail "the dead service is not named; output:"; tail -n 30 "$log" >&2; }
  grep -q '^\[up\]   ' "$log" || fail "the dead service's last log lines are not shown"
  expect_stopped "crash" "$log"
  [ "$failures" -ne "$before" ] || echo "ok: the dead service was named and the rest stopped"
fi

[ "$failures" -eq 0 ] || { echo "make up: $failures check(s) failed"; exit 1; }
echo "make up: stops completely on SIGTERM and SIGINT, and names a service that dies"
