#!/usr/bin/env bash
# `make soak DURATION=30m`: builds the services and bench/cmd/soak, then, on a stack of the run's own (the
# one `make chaos` starts: its own PostgreSQL and Redis, two realtime-go, two tile-delta-go, snapshot-rs,
# gateway-ts, on free ports), measures the saturation, runs half of it for DURATION (default 30m) with
# clients joining and leaving, and samples every service. Fails when a resource grows steadily, the
# commit→delivery p99 drifts, a stroke is lost, duplicated or reordered, or a service exits.
# Results: soak.json, soak.md, soak.svg (and the services' logs in logs/) in $SOAK_OUT, else bench/results/.
# Arguments go to bench/cmd/soak (e.g. --duration 2m --every 10s).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
source scripts/cluster-env.sh
go build -o bin/soak ./bench/cmd/soak
exec bin/soak --out "${SOAK_OUT:-bench/results}" "$@"
