// Command chaos is `make chaos`: it starts its own two-replica stack, runs every fault scenario of
// bench/internal/chaos under load and writes chaos.json and chaos.md. It exits non-zero when any scenario
// loses, duplicates or reorders a stroke. scripts/chaos.sh builds what it needs and sets its environment.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/infidraw/infidraw/bench/internal/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	out := fs.String("out", "bench/results", "directory for chaos.json and chaos.md (CHAOS_OUT overrides it)")
	rooms := fs.Int("rooms", 8, "rooms per scenario")
	writers := fs.Int("writers-per-room", 3, "writers per room")
	only := fs.String("only", "", "run only the scenarios whose name contains this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if v := os.Getenv("CHAOS_OUT"); v != "" {
		*out = v
	}
	cfg, err := chaos.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	began := time.Now()
	cl, err := chaos.StartCluster(ctx, cfg)
	if err != nil {
		return err
	}
	defer cl.Stop()
	var results []chaos.Result
	failed := false
	for _, sc := range chaos.Scenarios {
		if !strings.Contains(sc.Name, *only) {
			continue
		}
		fmt.Fprintf(os.Stderr, "[chaos] %s\n", sc.Name)
		res, err := chaos.Run(ctx, cl, sc, chaos.Load{Rooms: *rooms, WritersPerRoom: *writers})
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			res.Name, res.Error = sc.Name, err.Error()
			fmt.Fprintf(os.Stderr, "[chaos]   did not finish: %v\n", err)
		}
		fmt.Fprintf(os.Stderr, "[chaos]   acked %d lost %d duplicated %d order_violations %d recovery %d ms tile reads %d ms errors %v\n",
			res.Acked, res.Lost, res.Duplicated, res.OrderViolations, res.RecoveryMS, res.ReadRecoveryMS, res.Errors)
		for _, n := range res.Notes {
			fmt.Fprintf(os.Stderr, "[chaos]   %s\n", n)
		}
		failed = failed || res.Failed()
		results = append(results, res)
	}
	took := time.Since(began)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(map[string]any{"scenarios": results, "seconds": int(took.Seconds())}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "chaos.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	md := chaos.Markdown(results, time.Now().UTC().Format("2006-01-02"), took)
	if err := os.WriteFile(filepath.Join(*out, "chaos.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprint(os.Stderr, md)
	if failed {
		return fmt.Errorf("a scenario lost, duplicated or reordered strokes (see %s)", filepath.Join(*out, "chaos.json"))
	}
	return nil
}
