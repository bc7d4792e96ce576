package fanout

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/bench/internal/stack"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// IdleResult is the memory cost of idle joined connections on the server.
type IdleResult struct {
	Connections     int     `json:"connections"`
	Rooms           int     `json:"rooms"`
	RSSBeforeBytes  int64   `json:"rss_before_bytes"`
	RSSAfterBytes   int64   `json:"rss_after_bytes"`
	BytesPerConnKiB float64 `json:"kib_per_connection"`
}

// Idle opens n joined connections spread over rooms and measures the server's RSS growth.
func Idle(ctx context.Context, p *stack.Process, keys *stack.Keys, n, rooms int) (IdleResult, error) {
	res := IdleResult{Connections: n, Rooms: rooms}
	runtime.GC()
	before, err := stack.ReadUsage(p.Cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	roomIDs := make([]string, rooms)
	for i := range roomIDs {
		roomIDs[i] = uuid.NewString()
	}
	conns := make([]*client.Client, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		room := roomIDs[i%rooms]
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := client.Dial(dctx, p.WSURL(), room, keys.Token(uuid.NewString(), room, "viewer"), 0, client.Options{})
		cancel()
		if err != nil {
			return res, fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, c)
	}
	// Let the server settle (goroutine stacks shrink at GC; the Go runtime returns memory lazily).
	time.Sleep(2 * time.Second)
	after, err := stack.ReadUsage(p.Cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	res.RSSBeforeBytes, res.RSSAfterBytes = before.RSSBytes, after.RSSBytes
	res.BytesPerConnKiB = float64(after.RSSBytes-before.RSSBytes) / float64(n) / 1024
	return res, nil
}
