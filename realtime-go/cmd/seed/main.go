// Command seed fills a room with many real strokes through the same store realtime-go writes with
// (one transaction per batch, sequence numbers, tile index at every level), for large-board tests and
// benchmarks: drawings from the Quick, Draw! sample placed at random over a square of the world.
//
//	DATABASE_URL=... seed -room <uuid> -strokes 1000000 -spread 200000 -drawings ../shared/data/strokes/raw
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}
