package snapshots

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

type noRender struct{}

func (noRender) RenderTile(context.Context, strokes.Tile, []byte, []*strokev1.Stroke) ([]byte, string, error) {
	return nil, "", nil
}

func newSnapshotter(t *testing.T, p Policy) (*Snapshotter, *pgxpool.Pool) {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		t.Fatal("TEST_DATABASE_URL must point at the backing PostgreSQL (make test starts it)")
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := objstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(pool, store, noRender{}, p, prometheus.NewRegistry(), nil), pool
}

// Another replica holding a tile's advisory lock makes this one skip the tile.
func TestSnapshotSkipsALockedTile(t *testing.T) {
	s, pool := newSnapshotter(t, Policy{MinStrokes: 1, MinBytes: 1, Workers: 1, Queue: 4, Timeout: 10 * time.Second})
	ctx := context.Background()
	room, tile := uuid.New(), strokes.Tile{Level: 3, X: -2, Y: 5}
	other, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if _, err := other.Exec(ctx, `select pg_advisory_lock($1)`, LockKey(room, tile)); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Snapshot(ctx, room, tile); err != nil || res.Kind != Locked {
		t.Fatalf("locked tile: %+v, %v", res, err)
	}
	if _, err := other.Exec(ctx, `select pg_advisory_unlock($1)`, LockKey(room, tile)); err != nil {
		t.Fatal(err)
	}
	// Unlocked, an empty room needs nothing.
	if res, err := s.Snapshot(ctx, room, tile); err != nil || res.Kind != UpToDate {
		t.Fatalf("empty room: %+v, %v", res, err)
	}
}

// A tile is queued once until it has been rendered, the queue is bounded, and Delta applies the
// thresholds.
func TestEnqueueDeduplicatesAndBounds(t *testing.T) {
	s, _ := newSnapshotter(t, Policy{MinStrokes: 3, MinBytes: 1000, Workers: 1, Queue: 2, Timeout: time.Second})
	room := uuid.New()
	a, b, c := strokes.Tile{X: 1}, strokes.Tile{X: 2}, strokes.Tile{X: 3}
	tests := []struct {
		name string
		tile strokes.Tile
		want bool
	}{
		{"first", a, true}, {"duplicate", a, false}, {"second", b, true}, {"queue full", c, false},
	}
	for _, tc := range tests {
		if got := s.Enqueue(room, tc.tile); got != tc.want {
			t.Fatalf("%s: queued %v, want %v", tc.name, got, tc.want)
		}
	}

	d, _ := newSnapshotter(t, Policy{MinStrokes: 3, MinBytes: 1000, Workers: 1, Queue: 16, Timeout: time.Second})
	two := make([]*strokev1.Stroke, 2)
	deltas := []struct {
		name string
		c    tiles.Content
		want int // queue length after
	}{
		{"below both thresholds", tiles.Content{Tile: strokes.Tile{X: 1}, Strokes: two, Bytes: 10}, 0},
		{"strokes threshold", tiles.Content{Tile: strokes.Tile{X: 2}, Strokes: make([]*strokev1.Stroke, 3)}, 1},
		{"bytes threshold", tiles.Content{Tile: strokes.Tile{X: 3}, Strokes: two, Bytes: 1000}, 2},
		{"stale snapshot", tiles.Content{Tile: strokes.Tile{X: 4}, Stale: true}, 3},
		{"client delta is not the tile's", tiles.Content{Tile: strokes.Tile{X: 5}, Strokes: make([]*strokev1.Stroke, 9), After: 7}, 3},
		{"pending (over the read's delta bound)", tiles.Content{Tile: strokes.Tile{X: 6}, Pending: true, After: 7}, 4},
	}
	for _, tc := range deltas {
		d.Delta(room, tc.c)
		if got := len(d.queue); got != tc.want {
			t.Fatalf("%s: queue %d, want %d", tc.name, got, tc.want)
		}
	}
}
