package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// commitUntilAcked retries a commit as the protocol says (after retry_after_ms) until it is acked.
func commitUntilAcked(ctx context.Context, c *client.Client, s *strokev1.Stroke) (ack *realtimev1.Ack, overloaded int, err error) {
	for {
		rep, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
		if err != nil {
			return nil, overloaded, err
		}
		if rep.Ack != nil {
			return rep.Ack, overloaded, nil
		}
		if rep.Error.GetRetryAfterMs() == 0 {
			return nil, overloaded, fmt.Errorf("not retryable: %v", rep.Error)
		}
		if rep.Error.GetCode() == realtimev1.ErrorCode_ERROR_CODE_OVERLOADED {
			overloaded++
		}
		select {
		case <-time.After(time.Duration(rep.Error.GetRetryAfterMs()) * time.Millisecond):
		case <-ctx.Done():
			return nil, overloaded, ctx.Err()
		}
	}
}

// A full write queue tells clients to retry later; after retrying, every stroke is stored exactly once.
func TestFullWriteQueueSlowsClientsWithoutLoss(t *testing.T) {
	r := startReplica(t, "REALTIME_WRITE_SHARDS=1", "REALTIME_WRITE_QUEUE=2", "REALTIME_WRITE_BATCH=1")
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	if rep, _, err := commit(ctx, c, scribble(0, 0, 3)); err != nil || rep.Ack == nil {
		t.Fatalf("first commit: %v", err)
	}
	// Hold the room's head row: the writer blocks inside its transaction and the queue fills up.
	db, err := pgx.Connect(ctx, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `select 1 from room_heads where room_id = $1 for update`, room); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	overloads := 0
	seqs := map[uint64]bool{}
	firstOverload := make(chan struct{})
	var once sync.Once
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := client.PenStroke(scribble(int64(i), 1, 4), 300, 0xff)
			for {
				rep, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
				if err != nil {
					t.Error(err)
					return
				}
				if rep.Error.GetCode() == realtimev1.ErrorCode_ERROR_CODE_OVERLOADED {
					mu.Lock()
					overloads++
					mu.Unlock()
					once.Do(func() { close(firstOverload) })
					<-time.After(time.Duration(rep.Error.GetRetryAfterMs()) * time.Millisecond)
					continue
				}
				if rep.Ack == nil {
					t.Errorf("commit: %+v", rep.Error)
					return
				}
				mu.Lock()
				seqs[rep.Ack.GetSeq()] = true
				mu.Unlock()
				return
			}
		}()
	}
	select {
	case <-firstOverload:
	case <-ctx.Done():
		t.Fatal("the queue never reported overload")
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(seqs) != n || overloads == 0 {
		t.Fatalf("%d distinct acks for %d strokes, %d overloads", len(seqs), n, overloads)
	}
	if err := c.WaitSeq(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	if got := len(c.Events()); got != n+1 {
		t.Fatalf("%d events stored, want %d", got, n+1)
	}
}

// noisyStroke has n points that do not compress: about 4 bytes each on the wire.
func noisyStroke(n int) *strokev1.Stroke {
	pts := make([]strokes.Point, n)
	for i := range pts {
		pts[i] = strokes.Point{X: int64(rand.IntN(4000)), Y: int64(rand.IntN(4000)), Pressure: strokes.DefaultPressure}
	}
	return client.PenStroke(pts, 200, 0xff)
}

// A client that stops reading is cut off; the others receive everything in order.
func TestSlowReaderIsCutOffWithoutSlowingOthers(t *testing.T) {
	r := startReplica(t, "REALTIME_CLIENT_QUEUE_FRAMES=4", "REALTIME_MESSAGES_PER_SECOND=100000")
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	drawer := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	reader := dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{})

	// The slow client joins with a tiny receive buffer and then never reads.
	dialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		return d.DialContext(ctx, network, addr)
	}}
	slow, _, err := dialer.DialContext(ctx, r.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	join := mustMarshal(&realtimev1.ClientFrame{Messages: []*realtimev1.ClientMessage{{Body: &realtimev1.ClientMessage_Join{Join: &realtimev1.Join{
		RoomId: room.String(), Token: token(t, tokenOpts{user: uuid.NewString(), role: "viewer", room: room})}}}}})
	if err := slow.WriteMessage(websocket.BinaryMessage, join); err != nil {
		t.Fatal(err)
	}

	const total = 400
	for i := 0; i < total; i++ {
		if _, _, err := commitUntilAcked(ctx, drawer, noisyStroke(8000)); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if err := reader.WaitSeq(ctx, total); err != nil {
		t.Fatal(err)
	}
	if v := reader.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
	// Now read what the slow client was sent: it ends before the last event, with the connection closed.
	events := 0
	for {
		_, data, err := slow.ReadMessage()
		if err != nil {
			break
		}
		var f realtimev1.ServerFrame
		if err := mustUnmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		for _, m := range f.GetMessages() {
			events += len(m.GetEvents().GetEvents())
		}
	}
	if events >= total {
		t.Fatalf("the slow client received all %d events: it was never cut off", events)
	}
	if got := metricValue(t, r.httpAddr, "realtime_slow_client_disconnects_total"); got != "1" {
		t.Fatalf("slow client disconnects counted: %s, want 1", got)
	}
}

// metricValue reads one unlabelled sample from /metrics.
func metricValue(t *testing.T, addr, name string) string {
	t.Helper()
	for _, line := range strings.Split(localtest.Metrics(t, addr), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "absent"
}
