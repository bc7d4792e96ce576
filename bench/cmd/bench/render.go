package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// tileBench is the JSON printed by snapshot-rs's render/examples/bench_tiles.rs and by bench/render's
// ggbench, which builds exactly the same tiles.
type tileBench struct {
	Rounds int `json:"rounds"`
	Dense  struct {
		Strokes     int     `json:"strokes"`
		Points      int     `json:"points"`
		FullMS      float64 `json:"full_ms"`
		Full512MS   float64 `json:"full_512_ms"`
		PNGBytes    int     `json:"png_bytes"`
		Incremental float64 `json:"incremental_10_strokes_ms"`
	} `json:"dense_tile"`
	Board struct {
		Tiles        int     `json:"tiles"`
		MeanStrokes  float64 `json:"mean_strokes_per_tile"`
		TypicalMS    float64 `json:"typical_ms"`
		MeanPNGBytes int     `json:"mean_png_bytes"`
	} `json:"board"`
}

func runTileBench(ctx context.Context, cpus string, args ...string) (tileBench, error) {
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	var tb tileBench
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		return tb, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return tb, json.Unmarshal(out, &tb)
}

// renderRuns renders identical tiles with snapshot-rs (tiny-skia) and with the gg fallback, one process at
// a time on the server core.
func renderRuns(ctx context.Context, out, strokesDir, cpus string, getenv func(string) string, summary *strings.Builder) error {
	rs, gg := getenv("SNAPSHOT_BENCH_BIN"), getenv("GG_BENCH_BIN")
	if rs == "" || gg == "" {
		return fmt.Errorf("SNAPSHOT_BENCH_BIN and GG_BENCH_BIN must be set (scripts/bench.sh builds them without --quick)")
	}
	r, err := runTileBench(ctx, cpus, rs, strokesDir, "20")
	if err != nil {
		return err
	}
	g, err := runTileBench(ctx, cpus, gg, strokesDir, "5")
	if err != nil {
		return err
	}
	if r.Dense.Points != g.Dense.Points || r.Board.Tiles != g.Board.Tiles {
		return fmt.Errorf("render: the tiles differ (points %d vs %d, board tiles %d vs %d)", r.Dense.Points, g.Dense.Points, r.Board.Tiles, g.Board.Tiles)
	}
	if err := writeJSON(out, "render", map[string]any{"snapshot-rs": r, "gg": g}); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Rendering: identical tiles (real strokes; dense tile %d strokes / %d points; board of %d tiles, %.1f strokes per tile)\n\n",
		r.Dense.Strokes, r.Dense.Points, r.Board.Tiles, r.Board.MeanStrokes)
	fmt.Fprintf(summary, "| case | snapshot-rs ms | gg ms | gg / snapshot-rs | PNG bytes snapshot-rs | PNG bytes gg |\n|---|---|---|---|---|---|\n")
	row := func(name string, a, b float64, pa, pb int) {
		fmt.Fprintf(summary, "| %s | %.2f | %.2f | %.1fx | %d | %d |\n", name, a, b, b/a, pa, pb)
	}
	row("dense tile, full render 256 px", r.Dense.FullMS, g.Dense.FullMS, r.Dense.PNGBytes, g.Dense.PNGBytes)
	row("dense tile, full render 512 px", r.Dense.Full512MS, g.Dense.Full512MS, 0, 0)
	row("dense tile, incremental (+10 strokes on its PNG)", r.Dense.Incremental, g.Dense.Incremental, 0, 0)
	row("typical board tile, full", r.Board.TypicalMS, g.Board.TypicalMS, r.Board.MeanPNGBytes, g.Board.MeanPNGBytes)
	fmt.Fprintf(summary, "\nsnapshot-rs incremental vs full on the dense tile: **%.1fx** (target ≥ 10x); gg: %.1fx. snapshot-rs vs gg (full, dense): **%.1fx** (target ≥ 5x). "+
		"node canvas: not measured (see bench/README.md).\n\n",
		r.Dense.FullMS/r.Dense.Incremental, g.Dense.FullMS/g.Dense.Incremental, g.Dense.FullMS/r.Dense.FullMS)
	return nil
}
