package phase1

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/infidraw/infidraw/bench/internal/stack"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// The relay itself (bench/phase1-relay), against the tests' PostgreSQL and Redis: `make test` leaves it
// out of `bench --quick` (it would add about 8 s), so this is what keeps it from rotting. One writer's
// strokes reach a reader of the room once each, in order, and are in the database with the tiles
// shared-go/strokes computes for them, before their acks.
func TestRelayStoresThenDelivers(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH (source scripts/env.sh)")
	}
	dir, _ := filepath.Abs("../../phase1-relay")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		t.Fatalf("%s has no node_modules: scripts/npm-ci-locked.sh %s (scripts/test.sh runs it)", dir, dir)
	}
	dbURL, redisURL := os.Getenv("TEST_DATABASE_URL"), os.Getenv("REDIS_URL")
	if dbURL == "" || redisURL == "" {
		t.Fatal("TEST_DATABASE_URL and REDIS_URL must be set (scripts/env.sh sets them)")
	}
	relay, err := stack.StartPhase1(node, filepath.Join(dir, "server.js"), dbURL, redisURL, "phase1-test-"+uuid.NewString(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	room := uuid.New()
	got := &events{}
	reader, err := Dial(ctx, relay.HTTP, room.String(), got)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	writer, err := Dial(ctx, relay.HTTP, room.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	tests := []struct {
		name string
		pts  []strokes.Point
	}{
		{"dot", []strokes.Point{{X: 150, Y: -250}}},
		{"short line", []strokes.Point{{X: 0, Y: 0}, {X: 1200, Y: 800}, {X: 2500, Y: 900}}},
		{"across tiles and the origin", []strokes.Point{{X: -90000, Y: -30000}, {X: 120000, Y: 70000}}},
		{"far away", []strokes.Point{{X: 900_000_000, Y: -900_000_000}, {X: 900_051_200, Y: -899_990_000}}},
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	defer func() {
		for _, table := range []string{"stroke_events", "tile_events"} {
			_, _ = conn.Exec(context.Background(), "delete from bench_phase1."+table+" where room_id = $1", room)
		}
	}()
	var sent [][16]byte
	var sentPayloads []string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := uuid.New()
			seq, err := writer.Commit(id, tt.pts)
			if err != nil {
				t.Fatal(err)
			}
			sent = append(sent, id)
			payload, err := Payload(tt.pts)
			if err != nil {
				t.Fatal(err)
			}
			sentPayloads = append(sentPayloads, string(payload))
			if seq != uint64(i+1) {
				t.Errorf("seq %d, want %d", seq, i+1)
			}
			// Acked, so stored: the stroke and exactly the tiles the services compute.
			var n int
			if err := conn.QueryRow(ctx, `select count(*) from bench_phase1.stroke_events where room_id = $1 and stroke_id = $2`, room, id).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%d stroke rows (%v), want 1", n, err)
			}
			rows, err := conn.Query(ctx, `select level, tile_x, tile_y from bench_phase1.tile_events where room_id = $1 and stroke_id = $2`, room, id)
			if err != nil {
				t.Fatal(err)
			}
			var stored []string
			for rows.Next() {
				var level, x, y int32
				if err := rows.Scan(&level, &x, &y); err != nil {
					t.Fatal(err)
				}
				stored = append(stored, fmt.Sprint(level, x, y))
			}
			want, err := strokes.TilesAllLevels(300, tt.pts)
			if err != nil {
				t.Fatal(err)
			}
			var wantS []string
			for _, w := range want {
				wantS = append(wantS, fmt.Sprint(w.Level, w.X, w.Y))
			}
			slices.Sort(stored)
			slices.Sort(wantS)
			if !slices.Equal(stored, wantS) {
				t.Errorf("tiles stored %v, want %v", stored, wantS)
			}
		})
	}
	if err := reader.WaitSeq(ctx, uint64(len(tests))); err != nil {
		t.Fatal(err)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	if !slices.Equal(got.ids, sent) || reader.Violations() != 0 || writer.Violations() != 0 {
		t.Errorf("reader got %x (violations %d, writer's %d), want %x", got.ids, reader.Violations(), writer.Violations(), sent)
	}
	if !slices.Equal(got.payloads, sentPayloads) {
		t.Errorf("reader got payloads %x, want %x", got.payloads, sentPayloads)
	}
}

// events records what a reader receives.
type events struct {
	mu       sync.Mutex
	ids      [][16]byte
	payloads []string
}

func (e *events) Event(_ time.Time, id [16]byte, payload []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ids = append(e.ids, id)
	e.payloads = append(e.payloads, string(payload))
}

func (e *events) Received(int) {}
