// Command soak is `make soak`: it starts its own stack (bench/internal/chaos's), measures the saturation,
// runs half of it for --duration with clients joining and leaving, samples every service each --every
// and writes soak.json, soak.md and soak.svg. It exits non-zero when a resource grows steadily, the
// commit→delivery p99 drifts, an acknowledged stroke is lost, stored twice or reordered, or a service
// exits. scripts/soak.sh builds what it needs and sets its environment.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/infidraw/infidraw/bench/internal/chaos"
	"github.com/infidraw/infidraw/bench/internal/soak"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	out := fs.String("out", "bench/results", "directory for soak.json, soak.md, soak.svg (SOAK_OUT overrides it)")
	duration := fs.Duration("duration", 30*time.Minute, "how long the soak load runs, after the saturation probe")
	every := fs.Duration("every", 0, "sample interval (default: 1m from 10m on, else duration/24)")
	rooms := fs.Int("rooms", 6, "rooms")
	viewers := fs.Int("viewers-per-room", 2, "viewers per room connected at a time, besides the room's witness reader")
	tileReaders := fs.Int("tile-readers", 2, "tile readers panning through tile-delta-go")
	load := fs.Float64("load", 0.5, "fraction of the measured saturation to soak at (0 < load ≤ 1)")
	judgeP99 := fs.Bool("judge-p99", true, "fail when the commit→delivery p99 drifts (make test's 2-minute run turns it off: its thirds of 40 s are decided by a single stall)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *load <= 0 || *load > 1 {
		return fmt.Errorf("--load %g: want a fraction in (0, 1]", *load)
	}
	if v := getenv("SOAK_OUT"); v != "" {
		*out = v
	}
	if *every == 0 {
		// A minute for a real soak; two dozen samples for a short one, so that the second minute of a
		// 2-minute run (what the slope rule judges) has 12 and each third of the p99s a median of 6.
		*every = time.Minute
		if *duration < 10*time.Minute {
			*every = max(*duration/24, time.Second)
		}
	}
	// The saturation ramp's steps: short in a short soak (make test), longer when there is time.
	probeStep := 3 * time.Second
	if *duration >= 10*time.Minute {
		probeStep = 10 * time.Second
	}
	rules := soak.DefaultRules
	if !*judgeP99 {
		rules.P99Drift = 0
	}
	cfg, err := chaos.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	if cfg.LogDir, err = filepath.Abs(filepath.Join(*out, "logs")); err != nil {
		return err
	}
	_ = os.RemoveAll(cfg.LogDir) // a previous run's
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		return err
	}
	cl, err := chaos.StartCluster(ctx, cfg)
	if err != nil {
		return err
	}
	defer cl.Stop()
	rep, err := soak.Run(ctx, cl, soak.Config{Duration: *duration, Every: *every, Load: *load, Rooms: *rooms, ViewersPerRoom: *viewers,
		TileReaders: *tileReaders, ProbeStep: probeStep, Rules: rules, Progress: os.Stderr})
	// PostgreSQL's log lives in the run's temporary directory, which Stop removes: kept with the others.
	if log, rerr := os.ReadFile(cl.ServerLog()); rerr == nil {
		_ = os.WriteFile(filepath.Join(cfg.LogDir, "postgres.log"), log, 0o644)
	}
	if err != nil {
		return err
	}
	if err := soak.Write(*out, rep); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "[soak] results in %s (soak.json, soak.md, soak.svg; service logs in logs/)\n", *out)
	if !rep.Verdict.Pass {
		return fmt.Errorf("soak failed: %s", strings.Join(rep.Verdict.Failures, "; "))
	}
	fmt.Fprintf(os.Stderr, "[soak] pass: nothing grew steadily, p99 %.1f → %.1f ms, %d strokes acknowledged, none lost, duplicated or reordered\n",
		rep.Verdict.P99First, rep.Verdict.P99Last, rep.Integrity.Acked)
	return nil
}
