#!/usr/bin/env bash
# `make bench` (or `scripts/bench.sh --quick`, which `make test` runs): builds, starts PostgreSQL and
# Redis, and runs bench/ with the servers pinned to core 1 and the load generator to core 0.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
quick=0; only=""; prev=""
for a in "$@"; do
  [ "$a" = --quick ] && quick=1
  case "$a" in --only=*) only="${a#--only=}" ;; esac
  [ "$prev" = --only ] && only="$a"
  prev="$a"
done
# wants PART...: whether the run has one of these parts (every part when --only is not given; render and
# coarse are not in --quick's default).
wants() {
  local p
  for p in "$@"; do
    if [ -z "$only" ]; then
      [ "$quick" = 1 ] && { [ "$p" = render ] || [ "$p" = coarse ]; } && continue
      return 0
    fi
    [[ ",$only," == *",$p,"* ]] && return 0
  done
  return 1
}
if wants open history pan; then
  bash scripts/build.sh # the servers and bin/seed (fast when they are built already)
else
  go build -o bin/realtime-go ./realtime-go/cmd/realtime # the other parts start realtime-go alone
fi
go build -o bin/bench ./bench/cmd/bench
if wants render coarse; then
  # Rendering: snapshot-rs's own tile benchmark (it writes its tiles to a fixture directory), and node
  # canvas and the gg fallback on those tiles. ggrender is internal to tile-delta-go, so
  # bench/render/ggbench.go.txt is compiled as if it were tile-delta-go/cmd/ggbench.
  overlay="$(mktemp)"
  printf '{"Replace":{"%s/tile-delta-go/cmd/ggbench/main.go":"%s/bench/render/ggbench.go.txt"}}' "$INFIDRAW_ROOT" "$INFIDRAW_ROOT" > "$overlay"
  go build -overlay "$overlay" -o bin/ggbench ./tile-delta-go/cmd/ggbench
  rm -f "$overlay"
  cargo build --quiet --release -p infidraw-render --example bench_tiles --example coarse_levels
  # node canvas (@napi-rs/canvas, prebuilt Skia).
  nc=bench/render/node-canvas
  bash scripts/npm-ci-locked.sh "$nc"
  export GG_BENCH_BIN="$INFIDRAW_ROOT/bin/ggbench" SNAPSHOT_BENCH_BIN="$INFIDRAW_ROOT/target/release/examples/bench_tiles"
  export COARSE_BENCH_BIN="$INFIDRAW_ROOT/target/release/examples/coarse_levels"
  export NODE_CANVAS_BENCH="$INFIDRAW_ROOT/$nc/bench.js"
fi
# Centrifugo (fan-out and idle memory), built from the Go module proxy at the pinned version, again only when
# bin/centrifugo is another version. Its first build takes minutes, so --quick only uses one that is there.
cf_built() { [ -x bin/centrifugo ] && go version -m bin/centrifugo 2>/dev/null | awk '$1 == "mod" { print $3 }' | grep -qx "$CENTRIFUGO_VERSION"; }
if [ "$quick" = 0 ] && wants fanout idle && ! cf_built; then
  GOBIN="$INFIDRAW_ROOT/bin" GOWORK=off go install -ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${CENTRIFUGO_VERSION#v}" \
    "github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION"
fi
if cf_built; then export CENTRIFUGO_BIN="$INFIDRAW_ROOT/bin/centrifugo" CENTRIFUGO_CONFIG="$INFIDRAW_ROOT/bench/centrifugo/config.json"; fi
# The earlier design's Node relay (fan-out baseline) and the roadmap's phase-1 fix of it (fan-out and ingest).
if wants fanout ingest; then bash scripts/npm-ci-locked.sh bench/baseline-relay bench/phase1-relay; fi
started=()
for svc in pg redis; do bash scripts/backing.sh running "$svc" || started+=("$svc"); done
trap '[ ${#started[@]} -eq 0 ] || bash scripts/backing.sh stop "${started[@]}"' EXIT
bash scripts/backing.sh start pg redis
bash scripts/backing.sh migrate "$BENCH_DATABASE_URL"
# Every run starts from an empty bench database: comparable numbers, and no growth across runs.
psql -q "$BENCH_DATABASE_URL" -c "truncate tile_events, stroke_events, strokes, erase_actions, tile_snapshots, tile_follow, room_heads; drop schema if exists bench_legacy cascade; drop schema if exists bench_phase1 cascade"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cpus=""; [ "$(nproc)" -ge 2 ] && cpus="1"
export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go" SEED_BIN="$INFIDRAW_ROOT/bin/seed"
export BASELINE_RELAY="$INFIDRAW_ROOT/bench/baseline-relay/server.js" PHASE1_RELAY="$INFIDRAW_ROOT/bench/phase1-relay/server.js"
export NODE_BIN="$(command -v node)"
gen=(bin/bench)
[ -n "$cpus" ] && gen=(taskset -c 0 bin/bench)
"${gen[@]}" --server-cpus "$cpus" --strokes "$INFIDRAW_STROKES_DIR" "$@"
