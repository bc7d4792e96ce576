package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// coarseLevels is the JSON of snapshot-rs's render/examples/coarse_levels.rs: per level, a tile drawn
// from its strokes (full, and the policy's 64-stroke increment) versus composed from its children's PNGs,
// and how far the composed tile is from the exact one.
type coarseLevels struct {
	Rounds  int `json:"rounds"`
	Strokes int `json:"strokes"`
	Batch   int `json:"incremental_batch"`
	Levels  []struct {
		Level        int     `json:"level"`
		Tiles        int     `json:"tiles"`
		MeanStrokes  float64 `json:"mean_strokes_per_tile"`
		FullMS       float64 `json:"from_strokes_full_ms"`
		Incremental  float64 `json:"from_strokes_incremental_ms"`
		ChildrenMS   float64 `json:"from_children_ms"`
		ChildrenDiff float64 `json:"from_children_mean_abs_diff"`
		ChildrenOff  float64 `json:"from_children_pixels_off_pct"`
	} `json:"levels"`
}

// coarseRuns measures how coarse tiles are best built (docs/tiles.md, "Coarse levels").
func coarseRuns(ctx context.Context, out, strokesDir, cpus string, getenv func(string) string, summary *strings.Builder) error {
	bin := getenv("COARSE_BENCH_BIN")
	if bin == "" {
		return fmt.Errorf("COARSE_BENCH_BIN must be set (scripts/bench.sh builds it without --quick)")
	}
	args := []string{bin, strokesDir, "1"}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	raw, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	var c coarseLevels
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	if err := writeJSON(out, "coarse", c); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Coarse levels: from strokes or from child tiles (%d real strokes over 32 × 32 level-0 tiles; ms per tile)\n\n", c.Strokes)
	fmt.Fprintf(summary, "| level | strokes per tile | from strokes, full | from strokes, +%d on the previous PNG | from children (decode 4, box filter, encode) | children vs exact: mean diff | pixels off by > 64 |\n|---|---|---|---|---|---|---|\n", c.Batch)
	for _, l := range c.Levels {
		fmt.Fprintf(summary, "| %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f %% |\n", l.Level, l.MeanStrokes, l.FullMS, l.Incremental, l.ChildrenMS, l.ChildrenDiff, l.ChildrenOff)
	}
	fmt.Fprintf(summary, "\ntile-delta-go builds every level from strokes, incrementally: composing is not exact to the geometry "+
		"(thin strokes fade far out) and would chain every level to its descendants' snapshots (docs/tiles.md).\n\n")
	return nil
}
