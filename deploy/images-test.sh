#!/usr/bin/env bash
# Starts each image of `make images` the way the Helm chart runs it and checks that the stack works
# (`make images-test`):
#
#   1. renders the chart in evaluation mode (PostgreSQL, Redis and S3 "in the release", with generated
#      credentials, mutual TLS between the services) and turns each workload into an OCI runtime bundle
#      (deploy/test/cmd/imagebundle): the image the chart names, its env and args, uid/gid 65532, a
#      read-only root, tmpfs only where the chart mounts an emptyDir, its Secrets as read-only files;
#   2. in a network namespace of its own (nothing it starts can clash with another stack on this machine)
#      starts the real backing services of `make test` on the ports the chart's Services use, with the
#      rendered credentials, and an /etc/hosts that maps the Services' names to loopback;
#   3. runs the migration image to migrate the empty database, then starts snapshot, tile-delta, realtime
#      and the gateway with crun, checks /healthz of each, grpc.health.v1 of each gRPC port through grpcurl
#      (with the CA only, as the chart's `helm test` does), that each runs as 65532, and makes one real
#      request: sign up, create a room, draw a stroke over the WebSocket, read the tiles and a PNG export
#      through the gateway (bench/cmd/smoke).
#
# It prints one summary line last, exits non-zero on any failure, and stops everything it started.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$INFIDRAW_ROOT"
log() { printf '[images-test] %s\n' "$*" >&2; }

images_dir="${IMAGES_DIR:-$INFIDRAW_ROOT/dist/images}"
names=(migrations snapshot tile-delta realtime gateway)
passed=0 failed=0
pass() { passed=$((passed + 1)); log "ok: $*"; }
fail() { failed=$((failed + 1)); log "FAIL: $*"; }
summary() { echo "images-test: $passed passed, $failed failed"; }
die() { fail "$*"; summary; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  # A network namespace, and crun starting processes as uid 65532, need root.
  command -v sudo >/dev/null || die "needs root (network namespace, crun starting uid 65532), and there is no sudo"
  exec sudo --preserve-env=PATH,HOME,GOPATH,GOMODCACHE,GOCACHE,IMAGES_DIR bash "$0" "$@"
fi
for n in "${names[@]}"; do
  [ -f "$images_dir/$n.oci.tar" ] || die "$images_dir/$n.oci.tar is missing: run make images first"
done

# What it needs: crun (Debian), PostgreSQL and Redis (Debian), SeaweedFS, grpcurl, helm.
if ! command -v crun >/dev/null; then
  log "apt-get install crun"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends crun >/dev/null
fi
bash scripts/tools.sh system
bash scripts/tools.sh go
bash scripts/tools.sh s3
bash deploy/install-tools.sh

# /var/tmp, not a private home: the postgres user must reach the data directory.
work="$(mktemp -d /var/tmp/infidraw-images-test.XXXXXX)"
chmod 755 "$work"
ns="infidraw-images-test-$$"
state="$work/crun"
inns() { ip netns exec "$ns" "$@"; }
netns_made=0 backing_started=0
# scripts/backing.sh in the namespace, on the chart's Service ports and a data dir of this run: stopping
# needs the same ports and dir as starting, or the services outlive the run (and its namespace).
backing() { INFIDRAW_DATA_DIR="$work/data" PG_PORT=5432 REDIS_PORT=6379 S3_PORT=8333 inns bash scripts/backing.sh "$@"; }
cleanup() {
  local status=$?
  set +e
  for n in "${names[@]}"; do
    if crun --root "$state" state "it-$n" >/dev/null 2>&1; then
      crun --root "$state" kill "it-$n" TERM 2>/dev/null
    fi
  done
  for n in "${names[@]}"; do
    local deadline=$((SECONDS + 15))
    while crun --root "$state" state "it-$n" 2>/dev/null | grep -q '"status": "running"' && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    crun --root "$state" delete --force "it-$n" >/dev/null 2>&1
  done
  wait 2>/dev/null
  # Redis has the chart's password by then: redis-cli needs it to shut it down.
  if [ "$backing_started" = 1 ]; then REDISCLI_AUTH="${REDIS_PASSWORD:-}" backing stop s3 redis pg >/dev/null 2>&1; fi
  [ "$netns_made" = 1 ] && ip netns delete "$ns"
  if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then
    log "logs kept in $work/logs"
    find "$work" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  else
    rm -rf "$work"
  fi
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/logs"

log "rendering the chart (evaluation values) and unpacking the images into bundles"
helm template infidraw helm/infidraw --namespace infidraw -f helm/infidraw/examples/evaluation.yaml > "$work/manifests.yaml"
(cd deploy/test && GOWORK=off go run ./cmd/imagebundle -manifests "$work/manifests.yaml" -archives "$images_dir" -out "$work/bundles")
pass "the chart's five workloads name the images make images built (ghcr.io/infidraw/<name>:$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/infidraw/Chart.yaml))"
set -a
# shellcheck disable=SC1091
source "$work/bundles/backing.env" # the rendered Secrets' credentials
set +a
go build -o "$work/smoke" ./bench/cmd/smoke

ip netns add "$ns"
netns_made=1
inns ip link set lo up

# The backing services of `make test`, on the ports of the chart's evaluation Services, with its
# credentials (PostgreSQL's local trust authentication accepts any password).
log "backing services in network namespace $ns"
backing_started=1
backing start pg redis s3 >"$work/logs/backing.log" 2>&1 || { cat "$work/logs/backing.log" >&2; die "backing services did not start"; }
inns redis-cli -p 6379 config set requirepass "$REDIS_PASSWORD" >/dev/null

# crun runs inside the namespace's own mount namespace (ip netns exec makes one). This machine mixes
# cgroup v1 and v2, which crun refuses; a tmpfs over /sys/fs/cgroup there, and no cgroup manager, let it
# run containers without cgroup limits (the chart's resource limits are the one thing not reproduced).
start() { # start NAME: runs the container in the background, output in logs/NAME.log
  inns sh -c 'mount -t tmpfs cgroup-none /sys/fs/cgroup && exec crun --cgroup-manager=disabled --root "$1" run --bundle "$2" "$3"' \
    sh "$state" "$work/bundles/$1" "it-$1" >"$work/logs/$1.log" 2>&1 &
  eval "pid_${1//-/_}=$!"
}
alive() { local v="pid_${1//-/_}"; kill -0 "${!v}" 2>/dev/null; }
logtail() { tail -n 20 "$work/logs/$1.log" | sed "s/^/[images-test]   $1: /" >&2; }

# poll NAME SECONDS CMD...: CMD until it succeeds, failing when the deadline passes or the container died.
poll() {
  local name="$1" deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then logtail "$name"; return 1; fi
    [ "$SECONDS" -lt "$deadline" ] || { logtail "$name"; return 1; }
    sleep 0.2
  done
}

# The migration Job: goose up on the empty database, as the chart's hook runs it.
start migrations
if wait "$pid_migrations"; then
  tables="$(inns runuser -u postgres -- psql -h 127.0.0.1 -p 5432 -U infidraw -d infidraw -qAt -c "select count(distinct version_id) from goose_db_version where is_applied and version_id > 0")"
  want="$(ls db/migrations/*.sql | wc -l)"
  if [ "$tables" = "$want" ]; then pass "migrations image: goose up applied all $want migrations of db/migrations"
  else fail "migrations image: $tables migrations applied, db/migrations has $want"; fi
else
  logtail migrations
  die "migrations image exited non-zero"
fi

for n in snapshot tile-delta realtime gateway; do start "$n"; done

# Each service's HTTP health and gRPC health, named by the chart's ports.
declare -A http=([snapshot]=9193 [tile-delta]=9192 [realtime]=8081 [gateway]=8080)
declare -A grpc=([snapshot]=9093 [tile-delta]=9092 [realtime]=9091)
for n in snapshot tile-delta realtime gateway; do
  if poll "$n" 120 inns curl -fsS "http://127.0.0.1:${http[$n]}/healthz"; then
    pass "$n: /healthz on ${http[$n]} answers 200"
  else
    fail "$n: /healthz on ${http[$n]} did not answer 200 within 120 s"
    continue
  fi
  uid="$(awk '/^Uid:/ {print $2 ":" $3}' "/proc/$(crun --root "$state" state "it-$n" | sed -n 's/^ *"pid": \([0-9]*\),*/\1/p')/status")"
  [ "$uid" = "65532:65532" ] && pass "$n: runs as uid 65532" || fail "$n: runs as uid $uid, want 65532"
  [ -n "${grpc[$n]:-}" ] || continue
  ca="$work/bundles/$n/volumes/internal-tls/ca.crt"
  if out="$(inns grpcurl -cacert "$ca" -servername "infidraw-$n" "127.0.0.1:${grpc[$n]}" grpc.health.v1.Health/Check 2>&1)" &&
    grep -q '"SERVING"' <<<"$out"; then
    pass "$n: grpc.health.v1 on ${grpc[$n]} (mutual TLS port, CA only) is SERVING"
  else
    fail "$n: grpc.health.v1 on ${grpc[$n]}: $out"
  fi
done

# Nothing can be written outside the chart's mounts.
if inns sh -c 'exec crun --root "$1" exec it-gateway /usr/local/bin/node -e "require(\"fs\").writeFileSync(\"/app/x\", \"x\")"' sh "$state" >/dev/null 2>&1; then
  fail "gateway: could write /app/x: the root file system is not read-only"
else
  pass "gateway: the root file system is read-only (writing /app/x fails)"
fi

if [ "$failed" -eq 0 ]; then
  if inns "$work/smoke" -gateway http://127.0.0.1:8080 -ws ws://127.0.0.1:8081/ws -origin "http://localhost:8080" >&2; then
    pass "sign-up, room, a stroke over the WebSocket, tiles and export.png through the started images"
  else
    fail "the request through the started images failed"
    for n in gateway realtime tile-delta snapshot; do logtail "$n"; done
  fi
fi
for n in snapshot tile-delta realtime gateway; do
  alive "$n" || { fail "$n exited during the test"; logtail "$n"; }
done

summary
[ "$failed" -eq 0 ]
