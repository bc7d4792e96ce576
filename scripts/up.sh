#!/usr/bin/env bash
# `make up`: installs what is missing, builds, starts PostgreSQL and Redis, migrates, starts the four
# services, prints the URL once every one is healthy, and stays in the foreground. Ctrl-C or SIGTERM
# stops every process it started; the data in .data/ stays for the next `make up`. When a service dies,
# it says which one, with its status and last log lines, and stops the rest (the data stays too).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"

bash scripts/tools.sh system
bash scripts/tools.sh node
bash scripts/tools.sh go
bash scripts/build.sh

started_backing=()
for svc in pg redis; do
  bash scripts/backing.sh running "$svc" || started_backing+=("$svc")
done
pids=(); names=()
stop() {
  # Ignored, not reset to the default: a supervisor signals the whole process group, and make forwards
  # the signal to this script as well, so a second SIGTERM or SIGINT arrives while stopping. With the
  # default disposition it would kill the script halfway and leave services running. The commands
  # started from here on (backing.sh stop) inherit the ignore.
  trap '' INT TERM
  trap - EXIT
  echo "[up] stopping" >&2
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  [ ${#started_backing[@]} -eq 0 ] || bash scripts/backing.sh stop "${started_backing[@]}"
  echo "[up] stopped; data kept in $DATA_DIR" >&2
}
on_signal() { stop; exit 0; }
trap on_signal INT TERM
trap stop EXIT

bash scripts/backing.sh start pg redis
bash scripts/backing.sh migrate

logs="$DATA_DIR/logs"; mkdir -p "$logs" "$DATA_DIR/keys" "$DATA_DIR/objects"
# start NAME COMMAND...: runs a service in its own process group, its JSON log lines in .data/logs.
start() {
  local name="$1"; shift
  setsid "$@" >>"$logs/$name.log" 2>&1 &
  pids+=("$!"); names+=("$name")
  echo "[up] $name started (pid $!, log $logs/$name.log)" >&2
}
export GATEWAY_SIGNING_KEY_DIR="$DATA_DIR/keys" WEB_DIST_DIR="$INFIDRAW_ROOT/web/dist"
start snapshot-rs target/release/snapshot-server
# Only tile-delta-go reads the snapshot store; the gateway gets snapshots from it (GetSnapshot).
start tile-delta-go env OBJECT_STORE_URL="file://$DATA_DIR/objects" bin/tile-delta-go
start realtime-go bin/realtime-go
start gateway-ts node --enable-source-maps gateway-ts/dist/main.js
# check_services: fails, naming the service with its exit status and last log lines, when one has exited.
check_services() {
  local i status
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null && continue
    status=0; wait "${pids[$i]}" || status=$?
    echo "[up] ${names[$i]} exited with status $status; last lines of $logs/${names[$i]}.log:" >&2
    tail -n 20 "$logs/${names[$i]}.log" | sed 's/^/[up]   /' >&2
    return 1
  done
}

for url in http://127.0.0.1:9193/healthz http://127.0.0.1:9192/healthz http://127.0.0.1:8081/healthz http://127.0.0.1:8080/healthz; do
  for i in $(seq 1 600); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && break
    check_services || exit 1
    [ "$i" -lt 600 ] || { echo "[up] $url not healthy after 60 s; see $logs" >&2; exit 1; }
    sleep 0.1
  done
done
cat <<MSG

  infidraw is up:  http://localhost:8080
  realtime /ws :8081; gRPC on 127.0.0.1 only (plaintext): realtime :9091, tile-delta :9092, snapshot-rs :9093
  logs: $logs    Ctrl-C stops everything (data stays in $DATA_DIR)

MSG
# Stay in the foreground until a signal, or until a service dies.
while true; do
  check_services || exit 1
  sleep 1 &
  wait $! || true
done
