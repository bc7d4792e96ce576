// Command tile-delta is tile-delta-go: it reads a room as tiles (snapshot reference plus deltas) for a
// viewport and renders tiles through snapshot-rs.
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
	if err := run(ctx, os.Args[1:], os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "tile-delta:", err)
		os.Exit(1)
	}
}
