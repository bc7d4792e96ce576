#!/usr/bin/env bash
# `make test`: installs what is missing, builds, checks contracts, generated code, formatting and lint,
# starts PostgreSQL, Redis, a Redis Cluster and SeaweedFS (S3) in .data/, and runs every test suite of every language
# against them. Each runner prints its own summary; the table at the end lists every step.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"

results=()
failed=0
step() {
  local name="$1"; shift
  printf '\n=== %s\n' "$name"
  local start=$SECONDS
  if "$@"; then
    results+=("ok    $(printf '%4ds' $((SECONDS - start)))  $name")
  else
    results+=("FAIL  $(printf '%4ds' $((SECONDS - start)))  $name")
    failed=$((failed + 1))
    return 1
  fi
}
# must: a step the rest depends on; stop at once when it fails.
must() { step "$@" || { summary; exit 1; }; }
summary() {
  printf '\n=== summary\n'
  printf '%s\n' "${results[@]}"
}

started_backing=()
cleanup() {
  [ ${#started_backing[@]} -eq 0 ] || bash scripts/backing.sh stop "${started_backing[@]}"
}
trap cleanup EXIT

must "install tools" bash scripts/tools.sh all
must "install k8s tools" bash deploy/install-tools.sh
must "build" bash scripts/build.sh

proto_checks() {
  (cd proto && buf lint && buf format -d --exit-code) || return 1
  if git cat-file -e main:proto/buf.yaml 2>/dev/null; then
    buf breaking proto --against ".git#branch=main,subdir=proto" || return 1
  else
    echo "buf breaking: main has no contracts yet"
  fi
}
step "proto: buf lint, format, breaking against main" proto_checks

gen_check() {
  npm run -s gen || return 1
  local stale
  stale="$(git status --porcelain -- gen gateway-ts/src/gen web/src/gen shared-go/strokes/limits_gen.go snapshot-rs/render/src/limits_gen.rs)"
  [ -z "$stale" ] || { echo "generated code is stale (run make gen and commit):"; echo "$stale"; return 1; }
  echo "generated Go and TypeScript, and the limits of every language, match proto/"
}
step "generated code is up to date" gen_check
step "stroke geometry vectors match scripts/geometry-ref.py" python3 scripts/geometry-ref.py --check

go_lint() {
  local unformatted
  unformatted="$(gofmt -l gen shared-go realtime-go tile-delta-go bench deploy 2>/dev/null)"
  [ -z "$unformatted" ] || { echo "gofmt needed:"; echo "$unformatted"; return 1; }
  go vet ./shared-go/... ./realtime-go/... ./tile-delta-go/... ./bench/... || return 1
  (cd deploy/test && GOWORK=off go vet ./...)
}
step "go: gofmt, vet" go_lint
step "rust: cargo fmt --check, clippy -D warnings" bash -c 'cargo fmt --all --check && cargo clippy --release --locked -q --workspace --all-targets -- -D warnings'
step "typescript: tsc strict, eslint (gateway-ts)" npm run -s -w gateway-ts lint
step "typescript: tsc strict, eslint (web)" npm run -s -w web lint

start_backing() {
  for svc in pg redis redis-cluster s3; do
    bash scripts/backing.sh running "$svc" || started_backing+=("$svc")
  done
  bash scripts/backing.sh start pg redis redis-cluster s3 && bash scripts/backing.sh migrate "$TEST_DATABASE_URL" && bash scripts/backing.sh template
}
must "start PostgreSQL, Redis, Redis Cluster, SeaweedFS; migrate (and the template of the tests' own databases)" start_backing

export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go" SNAPSHOT_BIN="$INFIDRAW_ROOT/target/release/snapshot-server"
# bench/internal/phase1's test starts the phase-1 relay (it is not in bench --quick).
step "npm ci: the phase-1 benchmark relay (its go test starts it)" bash scripts/npm-ci-locked.sh bench/phase1-relay
step "go test -race (shared-go, realtime-go, tile-delta-go, bench)" go test -race -count=1 ./shared-go/... ./realtime-go/... ./tile-delta-go/... ./bench/...
step "cargo test (snapshot-rs)" cargo test --release --locked --workspace
# A count, not a duration: with a duration Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when the time runs out on a loaded machine (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline.
step "go fuzz, 40,000 inputs per target (make fuzz runs longer)" env FUZZTIME=40000x bash scripts/fuzz.sh go
step "node --test (gateway-ts)" env DATABASE_URL="$TEST_DATABASE_URL" npm run -s -w gateway-ts test
step "node --test (web: geometry units, Playwright on Chromium against the real stack)" env DATABASE_URL="$TEST_DATABASE_URL" npm run -s -w web test
step "make up: stops on SIGTERM and SIGINT, names a service that dies" bash scripts/test-up.sh
step "go test (helm chart, k8s manifests, image recipe)" bash -c 'cd deploy/test && GOWORK=off go test -count=1 ./...'
step "make images, make images-test: the five images built and started as the chart runs them" bash -c 'bash deploy/images.sh && bash deploy/images-test.sh'
step "make chaos: eight faults under load, nothing acknowledged lost, duplicated or reordered" env CHAOS_OUT="$DATA_DIR/chaos" bash scripts/chaos.sh
step "bench --quick (the benchmark harness still runs and checks delivery)" bash scripts/bench.sh --quick --out "$DATA_DIR/bench-quick"
step "soak, 2 minutes at a quarter of saturation (make soak: 30 at half, p99 judged): nothing grows, nothing lost" env SOAK_OUT="$DATA_DIR/soak-quick" bash scripts/soak.sh --duration 2m --load 0.25 --judge-p99=false

summary
[ "$failed" -eq 0 ] || { echo "$failed step(s) failed"; exit 1; }
echo "all steps passed"
