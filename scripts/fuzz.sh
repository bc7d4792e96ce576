#!/usr/bin/env bash
# `make fuzz` (longer) and a bounded run in `make test`: the Go native fuzz targets of frame decoding,
# stroke validation and the point codecs, each for FUZZTIME (a duration, or a count of inputs as `40000x`; Go fuzzes
# one target per invocation), and
# the Rust property tests of stroke decoding and rendering with PROPTEST_CASES cases each.
#   scripts/fuzz.sh [all|go|rust]   (default all; `make test` runs `go`: cargo test already runs the
#                                    properties at proptest's default 256 cases)
# A failing input is written to the target's testdata/fuzz/<Target>/ (Go) or printed minimised (proptest):
# commit it there, or as a case of the test, with the fix, so that it stays a regression test.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
what="${1:-all}"
case "$what" in all | go | rust) ;; *) echo "usage: scripts/fuzz.sh [all|go|rust]" >&2; exit 2 ;; esac
FUZZTIME="${FUZZTIME:-2m}"
PROPTEST_CASES="${PROPTEST_CASES:-100000}"

# package and target, one per line
go_targets="./shared-go/strokes FuzzValidate
./shared-go/strokes FuzzPointCodec
./realtime-go/internal/ws FuzzDecodeFrame
./realtime-go/client FuzzScanFrame"

if [ "$what" != rust ]; then
  while read -r pkg target; do
    echo "--- $target ($pkg) for $FUZZTIME"
    go test "$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME"
  done <<< "$go_targets"
fi
if [ "$what" != go ]; then
  echo "--- Rust properties (snapshot-rs/render tests/render/properties.rs), $PROPTEST_CASES cases each"
  PROPTEST_CASES="$PROPTEST_CASES" cargo test --release --locked -p infidraw-render --test render properties
fi
