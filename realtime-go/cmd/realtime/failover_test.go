package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/postgres"
)

// startProcess runs realtime-go as its own process, to be killed with SIGKILL.
func startProcess(t *testing.T) (*replica, *exec.Cmd) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "realtime-go")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	r := &replica{httpAddr: freeAddr(t), grpcAddr: freeAddr(t)}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), replicaEnv(r.httpAddr, r.grpcAddr)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHealthy(t, r.httpAddr)
	return r, cmd
}

// kill -9 of a replica while its clients draw: they reconnect to the other replica, retry what was not
// acknowledged, and every acknowledged stroke is stored exactly once.
func TestKilledReplicaLosesNoAcknowledgedStroke(t *testing.T) {
	doomed, proc := startProcess(t)
	survivor := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	type drawer struct {
		user    string
		acked   map[string]bool
		unacked map[string]*strokev1.Stroke
	}
	const drawers, perDrawer = 4, 40
	var mu sync.Mutex
	ds := make([]*drawer, drawers)
	halfway := make(chan struct{})
	var halfOnce sync.Once
	var acks int
	var wg sync.WaitGroup
	for i := range ds {
		d := &drawer{user: uuid.NewString(), acked: map[string]bool{}, unacked: map[string]*strokev1.Stroke{}}
		ds[i] = d
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, doomed, room, d.user, "editor", 0, client.Options{})
			n := 0
			for ; n < perDrawer; n++ {
				s := client.PenStroke(scribble(int64(i*100), int64(n), 6), 300, 0xff)
				mu.Lock()
				d.unacked[string(s.GetId())] = s
				mu.Unlock()
				ack, _, err := commitUntilAcked(ctx, c, s)
				if err != nil {
					break // the replica died under us
				}
				mu.Lock()
				delete(d.unacked, string(s.GetId()))
				d.acked[string(s.GetId())] = ack.GetSeq() > 0
				acks++
				if acks >= drawers*perDrawer/4 {
					halfOnce.Do(func() { close(halfway) })
				}
				mu.Unlock()
			}
			if n == perDrawer {
				return
			}
			// Reconnect to the survivor and retry everything not acknowledged, with the same ids.
			c2 := dial(t, survivor, room, d.user, "editor", 0, client.Options{})
			mu.Lock()
			retry := make([]*strokev1.Stroke, 0, len(d.unacked))
			for _, s := range d.unacked {
				retry = append(retry, s)
			}
			mu.Unlock()
			for _, s := range retry {
				if _, _, err := commitUntilAcked(ctx, c2, s); err != nil {
					t.Errorf("retry on the survivor: %v", err)
					return
				}
				mu.Lock()
				delete(d.unacked, string(s.GetId()))
				d.acked[string(s.GetId())] = true
				mu.Unlock()
			}
		}()
	}
	select {
	case <-halfway:
	case <-ctx.Done():
		t.Fatal("drawing never got going")
	}
	if err := proc.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	// Every stroke acknowledged anywhere is stored exactly once.
	store := openStore(t)
	evs, _, err := store.EventsAfter(ctx, room, 0, events.Page{Limit: 100000, Bytes: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ev := range evs {
		id, err := strokeIDFromEvent(ev.Encoded)
		if err != nil {
			t.Fatal(err)
		}
		count[id]++
	}
	for _, d := range ds {
		if len(d.unacked) != 0 {
			t.Fatalf("drawer left %d strokes unacknowledged", len(d.unacked))
		}
		for id := range d.acked {
			if count[id] != 1 {
				t.Fatalf("acknowledged stroke %x stored %d times", id, count[id])
			}
		}
	}
	if len(evs) != len(count) {
		t.Fatalf("%d events for %d distinct strokes: duplicates", len(evs), len(count))
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("gap: event %d has seq %d", i, ev.Seq)
		}
	}
}

func openStore(t *testing.T) *postgres.Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.NewStore(pool, slog.New(slog.DiscardHandler))
}

func strokeIDFromEvent(encoded []byte) (string, error) {
	var ev roomv1.RoomEvent
	if err := proto.Unmarshal(encoded, &ev); err != nil {
		return "", err
	}
	s := ev.GetStrokeAdded().GetStroke()
	if s == nil {
		return "", errors.New("not a StrokeAdded event")
	}
	return string(s.GetId()), nil
}
