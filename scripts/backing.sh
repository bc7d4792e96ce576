#!/usr/bin/env bash
# Starts and stops the backing services in the project-local data dir (.data/): PostgreSQL and Redis from
# Debian's packages, a Redis Cluster of three masters (tests of the sharded bus), and SeaweedFS as the S3-compatible store (only the S3 tests need it; `make up`
# stores snapshots on the filesystem). Non-default ports keep them clear of any system instance.
#   scripts/backing.sh start [pg|redis|redis-cluster|s3]...   (default: pg redis)
#   scripts/backing.sh stop  [pg|redis|redis-cluster|s3]...   (default: all)
#   scripts/backing.sh migrate [DATABASE_URL]   (goose up)
#   scripts/backing.sh template                 (TEST_DATABASE_TEMPLATE, for tests with a database of their own)
#   scripts/backing.sh running pg|redis|redis-cluster|s3   (exit status only)
set -euo pipefail
source "$(dirname "$0")/env.sh"

log() { printf '[backing] %s\n' "$*" >&2; }
die() { printf '[backing] error: %s\n' "$*" >&2; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# PostgreSQL refuses to run as root: as root, run it as the `postgres` user that Debian's package creates,
# from / (pg_ctl cannot start the server from a working directory that user cannot enter, such as a
# checkout in a mode-700 directory).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_dir() {
  local dir="$DATA_DIR/pg"
  # The postgres user must reach the data dir; a checkout under a private home (mode 700) blocks it.
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$DATA_DIR" 2>/dev/null; then
    dir="/var/tmp/infidraw-pg-$(printf '%s' "$DATA_DIR" | sha1sum | cut -c1-12)"
  fi
  printf '%s' "$dir"
}

# Server settings, given at every start so that a data dir made before a change gets them too (they
# override postgresql.conf). Durability stays whole: fsync, synchronous_commit and full_page_writes stay on.
# Measured with the ingest benchmark (bench/README.md): with 256MB of shared buffers the backends wrote
# most evicted dirty pages themselves (768k in one run), and with max_wal_size at its 1GB default bulk
# writes forced a checkpoint about every 10 s, each followed by full-page images of the pages written again.
PG_SETTINGS="-c shared_buffers=1GB -c max_wal_size=4GB -c checkpoint_timeout=15min"

pg_start() {
  local bin dir; bin="$(pg_bin)"; [ -n "$bin" ] || die "PostgreSQL is not installed (run scripts/tools.sh system)"
  mkdir -p "$DATA_DIR"; chmod 755 "$DATA_DIR"
  dir="$(pg_dir)"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initdb $dir"
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"; chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
logging_collector = off
CONF
  fi
  if as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "postgres already running on $PG_PORT"
  else
    log "postgres start on 127.0.0.1:$PG_PORT"
    # The port on the command line too: PG_PORT may have changed since initdb wrote it into the config.
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$PG_SETTINGS -c port=$PG_PORT" -w -t 60 start >/dev/null
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='infidraw'")" != "1" ]; then
    "${psql[@]}" -c "create role infidraw login password 'infidraw' createdb"
  fi
  # Tests drop their databases `with (force)`, which must end an autovacuum worker busy there (it has no role of
  # infidraw's, so without this the drop fails now and then on a loaded machine).
  "${psql[@]}" -c "grant pg_signal_backend to infidraw"
  for db in infidraw infidraw_test infidraw_bench; do
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != "1" ]; then
      "${psql[@]}" -c "create database $db owner infidraw"
    fi
  done
}

pg_stop() {
  local bin dir; bin="$(pg_bin)"; dir="$(pg_dir)"
  [ -n "$bin" ] && [ -f "$dir/PG_VERSION" ] || return 0
  if as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "postgres stop"
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  fi
}

redis_start() {
  command -v redis-server >/dev/null || die "redis-server is not installed (run scripts/tools.sh system)"
  mkdir -p "$DATA_DIR/redis"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis already running on $REDIS_PORT"; return; fi
  log "redis start on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA_DIR/redis" --daemonize yes \
    --pidfile "$DATA_DIR/redis/redis.pid" --logfile "$DATA_DIR/redis/redis.log" \
    --appendonly yes --save "" >/dev/null
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  die "redis did not answer on $REDIS_PORT"
}

redis_stop() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "redis stop"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
}

redis_cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + 2)); }

redis_cluster_ok() { redis-cli -p "$REDIS_CLUSTER_PORT" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

# Three masters without replicas (sharded pub/sub and hash-tagged keys spread over them), each in
# $DATA_DIR/redis-cluster/<port> with its nodes.conf; the cluster is created once, when no node knows of
# the others yet. Like the single Redis, it needs no password (loopback only).
redis-cluster_start() {
  command -v redis-server >/dev/null || die "redis-server is not installed (run scripts/tools.sh system)"
  local port dir addrs=()
  for port in $(redis_cluster_ports); do
    dir="$DATA_DIR/redis-cluster/$port"; mkdir -p "$dir"
    addrs+=("127.0.0.1:$port")
    if redis-cli -p "$port" ping >/dev/null 2>&1; then log "redis cluster node already running on $port"; continue; fi
    log "redis cluster node start on 127.0.0.1:$port"
    redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes --cluster-port $((port + 10)) \
      --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000 --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save "" >/dev/null
  done
  for port in $(redis_cluster_ports); do
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$port" ping >/dev/null 2>&1 || die "redis cluster node did not answer on $port"
  done
  if [ "$(redis-cli -p "$REDIS_CLUSTER_PORT" cluster info | grep -c '^cluster_known_nodes:1\b')" -eq 1 ]; then
    log "redis cluster create ${addrs[*]}"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  fi
  for _ in $(seq 1 200); do redis_cluster_ok && return; sleep 0.1; done
  die "redis cluster on $REDIS_CLUSTER_PORT is not ok (see $DATA_DIR/redis-cluster/*/redis.log)"
}

redis-cluster_stop() {
  local port
  for port in $(redis_cluster_ports); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      log "redis cluster node stop on $port"
      redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
  done
}

# SeaweedFS in one process (`weed mini`): master, volume, filer and the S3 gateway on loopback ports
# derived from S3_PORT. Credentials come from S3_ACCESS_KEY / S3_SECRET_KEY.
s3_start() {
  [ -x "$TOOLS_DIR/bin/weed" ] || die "weed is not installed (run scripts/tools.sh s3)"
  local dir="$DATA_DIR/s3"; mkdir -p "$dir/data"
  if curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then log "s3 already running on $S3_PORT"; return; fi
  cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"infidraw","credentials":[{"accessKey":"$S3_ACCESS_KEY","secretKey":"$S3_SECRET_KEY"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  log "seaweedfs (S3) start on 127.0.0.1:$S3_PORT"
  setsid "$TOOLS_DIR/bin/weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$S3_PORT" -s3.config="$dir/s3.json" -master.port=$((S3_PORT + 1)) \
    -volume.port=$((S3_PORT + 2)) -filer.port=$((S3_PORT + 3)) -admin.ui=false -webdav=false \
    > "$dir/weed.log" 2>&1 &
  echo $! > "$dir/weed.pid"
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && return
    kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || { tail -20 "$dir/weed.log" >&2; die "weed exited"; }
    sleep 0.1
  done
  die "s3 did not answer on $S3_PORT (see $dir/weed.log)"
}

s3_stop() {
  local pidfile="$DATA_DIR/s3/weed.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "seaweedfs stop"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# running SVC: exit 0 when the service answers on its port.
running() {
  case "$1" in
    pg) "$(pg_bin)/pg_isready" -q -t 15 -h 127.0.0.1 -p "$PG_PORT" ;; # a loaded machine can take seconds
    redis) redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 ;;
    redis-cluster) redis_cluster_ok ;;
    s3) curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" ;;
    *) die "unknown service $1" ;;
  esac
}

migrate() {
  command -v goose >/dev/null || die "goose is not installed (run scripts/tools.sh go)"
  local url="${1:-$DATABASE_URL}"
  goose -dir "$INFIDRAW_ROOT/db/migrations" postgres "$url" up >&2
}

# template: (re)creates TEST_DATABASE_TEMPLATE, migrated, beside TEST_DATABASE_URL's database. Tests that
# start tile-delta-go copy it into a database of their own (localtest.Database in Go, freshDatabase in
# TypeScript), named <test database>_<pid>_<hex>; the copies of test processes that are gone (killed
# before their clean-up) are dropped here.
template() {
  local psql=("$(pg_bin)/psql" "$TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qAt)
  local db="${TEST_DATABASE_URL##*/}"; db="${db%%\?*}"
  local name pid
  for name in $("${psql[@]}" -c "select datname from pg_database where datname ~ '^${db}_[0-9]+_[0-9a-f]+\$'"); do
    pid="${name#"${db}_"}"; pid="${pid%%_*}"
    kill -0 "$pid" 2>/dev/null || "${psql[@]}" -c "drop database if exists \"$name\" with (force)"
  done
  "${psql[@]}" -c "drop database if exists \"$TEST_DATABASE_TEMPLATE\" with (force)" -c "create database \"$TEST_DATABASE_TEMPLATE\""
  migrate "${TEST_DATABASE_URL/\/$db/\/$TEST_DATABASE_TEMPLATE}"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start)
    [ $# -gt 0 ] || set -- pg redis
    for s in "$@"; do "${s}_start"; done ;;
  stop)
    [ $# -gt 0 ] || set -- s3 redis-cluster redis pg
    for s in "$@"; do "${s}_stop"; done ;;
  migrate) migrate "$@" ;;
  template) template ;;
  running) running "$1" ;;
  *) echo "usage: $0 start|stop [pg|redis|redis-cluster|s3]... | migrate [DATABASE_URL] | template" >&2; exit 2 ;;
esac
