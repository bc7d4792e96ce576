#!/usr/bin/env bash
# `make chaos`: builds the services and bench/cmd/chaos, then runs the fault scenarios against a stack of
# the run's own (a PostgreSQL initialised in a temporary directory, a Redis server, two realtime-go and
# two tile-delta-go replicas, snapshot-rs and gateway-ts on free ports), so that killing, pausing or
# restarting them disturbs nothing else.
# Results: chaos.json and chaos.md in $CHAOS_OUT, else bench/results/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
source scripts/cluster-env.sh
go build -o bin/chaos ./bench/cmd/chaos
exec bin/chaos --out "${CHAOS_OUT:-bench/results}" "$@"
