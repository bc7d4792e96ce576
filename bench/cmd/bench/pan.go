package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/bench/internal/openboard"
)

// panPhase is one zoom of bench/web/pan.ts's result.
type panPhase struct {
	Name          string  `json:"name"`
	Zoom          float64 `json:"zoom"`
	Level         int     `json:"level"`
	Seconds       float64 `json:"seconds"`
	Frames        int     `json:"frames"`
	FPS           float64 `json:"fps"`
	P50           float64 `json:"p50_ms"`
	P95           float64 `json:"p95_ms"`
	P99           float64 `json:"p99_ms"`
	Max           float64 `json:"max_ms"`
	DroppedPct    float64 `json:"dropped_pct"`
	LongTasks     int     `json:"long_tasks"`
	LongTaskMs    float64 `json:"long_task_ms"`
	TilesRequests int     `json:"tiles_requests"`
	TileBytes     int64   `json:"tile_bytes"`
	LevelsDrawn   []int   `json:"levels_drawn"`
	FillWaitMs    float64 `json:"fill_wait_ms"`
	Drag          struct {
		FPS float64 `json:"fps"`
		P95 float64 `json:"p95_ms"`
	} `json:"drag"`
	Wheel struct {
		FPS float64 `json:"fps"`
		P95 float64 `json:"p95_ms"`
	} `json:"wheel"`
	BaseDraws struct {
		Full    int `json:"full"`
		Scroll  int `json:"scroll"`
		Preview int `json:"preview"`
		Repaint int `json:"repaint"`
	} `json:"base_draws"`
	Cold *struct {
		FPS           float64 `json:"fps"`
		P95           float64 `json:"p95_ms"`
		TilesRequests int     `json:"tiles_requests"`
		TileBytes     int64   `json:"tile_bytes"`
	} `json:"cold,omitempty"`
}

type panResult struct {
	Browser     string     `json:"browser"`
	RoomStrokes int        `json:"room_strokes"`
	CatchUpSec  float64    `json:"catch_up_seconds"`
	Spread      int        `json:"spread"`
	Seconds     float64    `json:"seconds_per_zoom"`
	Gesture     string     `json:"gesture"`
	Phases      []panPhase `json:"phases"`
}

// panRuns runs the browser panning benchmark, bench/web/pan.ts (Node 24, playwright-core, headless Chromium
// with the GPU off), on the largest room in the bench database, which is the open part's seeded room when it
// ran before (1,000,000 strokes; 20,000 with --quick): seeding is the slow part, so it is not done twice. Without
// such a room the script seeds its own. The script starts its own stack (web/test/stack.ts) and writes
// pan.json; this adds its table to the summary. Chromium and the web build missing: skipped, with a note.
func panRuns(ctx context.Context, quick bool, out, dbURL, redisURL string, getenv func(string) string, summary *strings.Builder) error {
	root := getenv("INFIDRAW_ROOT")
	if root == "" {
		root = "."
	}
	chromium := getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	for _, need := range []string{chromium, filepath.Join(root, "web", "dist", "index.html"), filepath.Join(root, "gateway-ts", "dist", "main.js")} {
		if _, err := os.Stat(need); err != nil {
			fmt.Fprintf(summary, "## Panning in the browser\n\nSkipped: %s is missing (apt-get install chromium; scripts/build.sh).\n\n", need)
			return nil
		}
	}
	node := getenv("NODE_BIN")
	if node == "" {
		node = "node"
	}
	args := []string{filepath.Join(root, "bench", "web", "pan.ts"), "--out", filepath.Join(out, "pan.json"), "--spread", strconv.Itoa(openboard.Spread)}
	room, strokes, err := largestRoom(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("pan: %w", err)
	}
	minStrokes := int64(500_000)
	if quick {
		minStrokes = 1000
	}
	switch {
	case strokes >= minStrokes:
		args = append(args, "--room", room)
	case quick:
		args = append(args, "--seed", "2000")
	default:
		args = append(args, "--seed", "1000000")
	}
	if quick {
		args = append(args, "--quick")
	}
	if s := getenv("PAN_SECONDS"); s != "" {
		args = append(args, "--seconds", s)
	}
	if p := getenv("PAN_PROFILE"); p != "" {
		args = append(args, "--profile", p)
	}
	// The generator is pinned to core 0 and its children inherit that: the browser, Node and the servers get
	// every core back (they share them; a browser's compositor, raster and main threads need more than one).
	cmdline := append([]string{node}, args...)
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		if _, err := exec.LookPath("taskset"); err == nil {
			cmdline = append([]string{"taskset", "-a", "-c", strings.TrimSpace(string(b))}, cmdline...)
		}
	}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, cmdline[0], cmdline[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TEST_DATABASE_URL="+dbURL, "REDIS_URL="+redisURL, "CHROMIUM="+chromium, "TILE_DELTA_SNAPSHOT_STROKES=64")
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pan (%s): %w", strings.Join(cmdline, " "), err)
	}
	b, err := os.ReadFile(filepath.Join(out, "pan.json"))
	if err != nil {
		return fmt.Errorf("pan: %w", err)
	}
	var res panResult
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("pan.json: %w", err)
	}
	fmt.Fprintf(summary, "## Panning a %d-stroke board in the browser (web client render loop)\n\n"+
		"%s. At each zoom the screen is first filled from tiles with none pending; then for %g s a gesture (%s; input through "+
		"CDP at 60 events/s) while the page records requestAnimationFrame intervals and long tasks. Dropped = frames short of 60/s. "+
		"Tiles: requests and bytes (tiles responses + snapshot PNGs) fetched during the pass. The passes start once tile-delta-go's "+
		"follower has snapshotted the room (%.0f s after the stack started on the bulk-written log); the cold pass is the first, with the browser's "+
		"tile cache empty; the row is the second. The browser, Node and the servers share the machine's cores (%.0f s in all).\n\n", res.RoomStrokes, res.Browser, res.Seconds, res.Gesture, res.CatchUpSec, time.Since(t0).Seconds())
	fmt.Fprintf(summary, "| zoom | level (drawn) | frames/s | drag / wheel frames/s | p50 ms | p95 ms | p99 ms | max ms | dropped %% | long tasks (ms) | tiles requests | tile bytes | frames drawn in full / scrolled / previewed (tile repaints) | cold pass: frames/s, tiles requests, bytes |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range res.Phases {
		levels := make([]string, len(p.LevelsDrawn))
		for i, l := range p.LevelsDrawn {
			levels[i] = strconv.Itoa(l)
		}
		cold := "—"
		if p.Cold != nil {
			cold = fmt.Sprintf("%.1f, %d, %d", p.Cold.FPS, p.Cold.TilesRequests, p.Cold.TileBytes)
		}
		fmt.Fprintf(summary, "| %s (%.3g) | %d (%s) | %.1f | %.1f / %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %d (%.0f) | %d | %d | %d / %d / %d (%d) | %s |\n", p.Name, p.Zoom, p.Level, strings.Join(levels, ","),
			p.FPS, p.Drag.FPS, p.Wheel.FPS, p.P50, p.P95, p.P99, p.Max, p.DroppedPct, p.LongTasks, p.LongTaskMs, p.TilesRequests, p.TileBytes, p.BaseDraws.Full, p.BaseDraws.Scroll, p.BaseDraws.Preview, p.BaseDraws.Repaint, cold)
	}
	fmt.Fprintln(summary)
	return nil
}

// largestRoom is the room with the most events in the bench database (the open part's large room).
func largestRoom(ctx context.Context, dbURL string) (string, int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close(ctx)
	var room string
	var head int64
	err = conn.QueryRow(ctx, `select room_id::text, head_seq from room_heads order by head_seq desc limit 1`).Scan(&room, &head)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	return room, head, err
}
