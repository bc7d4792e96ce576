#!/usr/bin/env bash
# Builds every service: Go binaries into bin/, snapshot-rs in release mode, the gateway and (when it
# exists) the web client.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
log() { printf '[build] %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "go: bin/realtime-go bin/tile-delta-go bin/seed"
mkdir -p bin
go build -o bin/realtime-go ./realtime-go/cmd/realtime
go build -o bin/tile-delta-go ./tile-delta-go/cmd/tile-delta
go build -o bin/seed ./realtime-go/cmd/seed
log "cargo: target/release/snapshot-server"
cargo build --release --locked -q -p infidraw-snapshot-server
log "gateway-ts"
npm run -s -w gateway-ts build
if [ -f web/package.json ] && grep -q '"build"' web/package.json; then
  log "web"
  npm run -s -w web build
fi
