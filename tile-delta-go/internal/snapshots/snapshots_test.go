package snapshots

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
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

// An empty room needs no snapshot.
func TestSnapshotOfAnEmptyRoomIsUpToDate(t *testing.T) {
	s, _ := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second})
	if res, err := s.Snapshot(context.Background(), uuid.New(), strokes.Tile{Level: 3, X: -2, Y: 5}); err != nil || res.Kind != UpToDate {
		t.Fatalf("empty room: %+v, %v", res, err)
	}
}

// Collect deletes a tile's snapshots older than its newest one that has outlived the retention, rows and
// objects, and nothing of other tiles.
func TestCollectDeletesSupersededSnapshots(t *testing.T) {
	ctx := context.Background()
	type snap struct {
		seq uint64
		age time.Duration
	}
	tests := []struct {
		name string
		tile []snap
		kept []uint64
	}{
		{"the newest is kept however old", []snap{{5, time.Hour}}, []uint64{5}},
		{"superseded by one older than the retention", []snap{{5, time.Hour}, {9, 30 * time.Minute}, {12, time.Minute}}, []uint64{9, 12}},
		{"successor still within the retention", []snap{{5, time.Hour}, {9, time.Minute}}, []uint64{5, 9}},
		{"every old one but the newest old one", []snap{{1, 4 * time.Hour}, {2, 3 * time.Hour}, {3, 2 * time.Hour}}, []uint64{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 1, Timeout: time.Second, Retain: 10 * time.Minute})
			room, tile, neighbour := uuid.New(), strokes.Tile{Level: 2, X: -1, Y: 3}, strokes.Tile{Level: 2, X: 0, Y: 3}
			t.Cleanup(func() { _, _ = s.PurgeRoom(context.Background(), room) })
			put := func(tl strokes.Tile, sn snap) {
				key := Key(room, tl, sn.seq)
				if err := s.store.Put(ctx, key, []byte("png"), "image/png"); err != nil {
					t.Fatal(err)
				}
				if _, err := pool.Exec(ctx, `insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes, created_at)
					values ($1, $2, $3, $4, $5, $6, 3, now() - $7::interval)`, room, tl.Level, tl.X, tl.Y, int64(sn.seq), key, sn.age); err != nil {
					t.Fatal(err)
				}
			}
			for _, sn := range tc.tile {
				put(tile, sn)
				put(neighbour, sn)
			}
			n, err := s.Collect(ctx, room, tile)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tc.tile)-len(tc.kept) {
				t.Fatalf("collected %d, want %d", n, len(tc.tile)-len(tc.kept))
			}
			rows, err := pool.Query(ctx, `select covers_seq from tile_snapshots where room_id = $1 and level = $2 and tx = $3 and ty = $4 order by covers_seq`,
				room, tile.Level, tile.X, tile.Y)
			if err != nil {
				t.Fatal(err)
			}
			kept, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kept) != fmt.Sprint(tc.kept) {
				t.Fatalf("rows kept %v, want %v", kept, tc.kept)
			}
			for _, sn := range tc.tile {
				_, err := s.store.Get(ctx, Key(room, tile, sn.seq))
				if want := slices.Contains(tc.kept, sn.seq); (err == nil) != want {
					t.Fatalf("object of covers_seq %d: present %v, want %v (%v)", sn.seq, err == nil, want, err)
				}
				if _, err := s.store.Get(ctx, Key(room, neighbour, sn.seq)); err != nil {
					t.Fatalf("the neighbouring tile lost covers_seq %d: %v", sn.seq, err)
				}
			}
		})
	}
}
