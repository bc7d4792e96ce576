// Command bench runs infidraw's benchmarks and writes bench/results/*.json and bench/results/summary.md.
// `make bench` runs the full set; `--quick` (run by `make test`) is a smoke run that keeps the harness
// from rotting. Servers run as separate processes; every run checks correctness while it measures.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// At saturation the load generator is the limit, and a third of its CPU went to the garbage collector
	// (BENCH_CPUPROFILE): it trades memory for CPU. Only this process: the servers it starts keep Go's default.
	debug.SetGCPercent(800)
	// BENCH_CPUPROFILE=file profiles the load generator (is it the limit?).
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
