package snapshots

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
)

type noRender struct{}

func (noRender) RenderTile(context.Context, strokes.Tile, []byte, []*strokev1.Stroke) ([]byte, string, error) {
	return nil, "", nil
}

// newSnapshotter returns a snapshotter that renders nothing, on a database of the test's own (its
// followers follow only the test's rooms), and a pool on that database.
func newSnapshotter(t *testing.T, p Policy) (*Snapshotter, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), localtest.Database(t))
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
	if res, err := s.Snapshot(context.Background(), uuid.New(), strokes.Tile{Level: 3, X: -2, Y: 5}, 0); err != nil || res.Kind != UpToDate {
		t.Fatalf("empty room: %+v, %v", res, err)
	}
}

// renderFunc is a Renderer of the test's making: it sees the base PNG and the strokes.
type renderFunc func(base []byte, ss []*strokev1.Stroke) ([]byte, error)

func (f renderFunc) RenderTile(_ context.Context, _ strokes.Tile, base []byte, ss []*strokev1.Stroke) ([]byte, string, error) {
	png, err := f(base, ss)
	return png, "test", err
}

// A delta larger than a chunk is drawn a chunk at a time, in order, each chunk on the previous one's PNG,
// and each chunk is recorded as a snapshot covering its last stroke; the last covers the head.
func TestLargeDeltaIsRenderedInChunks(t *testing.T) {
	ctx := context.Background()
	s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second, ChunkStrokes: 2})
	room := uuid.New()
	var seqs []uint64
	for i := range 5 {
		seqs = append(seqs, commit(t, pool, room, eventkind.StrokeAdded, hline(int64(20+i))))
	}
	v, _ := strokes.Validate(hline(20))
	tile := v.Tiles[0]
	var calls []string
	s.renderer = renderFunc(func(base []byte, ss []*strokev1.Stroke) ([]byte, error) {
		png := fmt.Sprintf("%s+%d", base, len(ss))
		calls = append(calls, png)
		return []byte(png), nil
	})
	res, err := s.Snapshot(ctx, room, tile, 0)
	if err != nil || res.Kind != Full || res.CoversSeq != seqs[4] {
		t.Fatalf("snapshot: %+v, %v; want a full render covering %d", res, err, seqs[4])
	}
	if want := []string{"+2", "+2+2", "+2+2+1"}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("renders %v, want %v (two strokes, two on that, one on that)", calls, want)
	}
	rows, err := pool.Query(ctx, `select covers_seq from tile_snapshots where room_id = $1 and level = $2 and tx = $3 and ty = $4 order by covers_seq`,
		room, tile.Level, tile.X, tile.Y)
	if err != nil {
		t.Fatal(err)
	}
	covers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{int64(seqs[1]), int64(seqs[3]), int64(seqs[4])}; fmt.Sprint(covers) != fmt.Sprint(want) {
		t.Fatalf("snapshots cover %v, want %v", covers, want)
	}
	if got, err := s.store.Get(ctx, res.Key); err != nil || string(got) != "+2+2+1" {
		t.Fatalf("stored %q (%v), want the last chunk's picture", got, err)
	}
}

// A room purged while one of its tiles renders (the gateway deleted it: realtime-go purged the events,
// tile-delta-go the snapshots) keeps no snapshot: the render records no row and deletes the object it
// stored, and the purge returns only once that render has ended, so no object of the room appears after
// it. A render of the tile as it was at a past point is held to the same.
func TestSnapshotOfARoomPurgedDuringTheRenderLeavesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		at     uint64 // of a room with events 1 and 2
		covers uint64
	}{
		{"now", 0, 2},
		{"past", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second})
			room := uuid.New()
			commit(t, pool, room, eventkind.StrokeAdded, hline(20))
			commit(t, pool, room, eventkind.StrokeAdded, hline(40))
			v, _ := strokes.Validate(hline(20))
			tile := v.Tiles[0]
			purged := make(chan error, 1)
			s.renderer = renderFunc(func([]byte, []*strokev1.Stroke) ([]byte, error) {
				if _, err := pool.Exec(ctx, `delete from stroke_events where room_id = $1`, room); err != nil {
					return nil, err
				}
				// This render is running: a purge cannot finish before it ends.
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				if _, err := s.PurgeRoom(short, room); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a purge during a render of the room returned %v, want it to wait for the render", err)
				}
				go func() { _, err := s.PurgeRoom(ctx, room); purged <- err }()
				return []byte("png"), nil
			})
			res, err := s.Snapshot(ctx, room, tile, tc.at)
			if err != nil || res.Kind != Purged {
				t.Fatalf("snapshot of a room purged meanwhile: %+v, %v; want kind %q", res, err, Purged)
			}
			if err := <-purged; err != nil {
				t.Fatal(err)
			}
			if rows, _ := snapshotCount(t, pool, room); rows != 0 {
				t.Fatalf("%d snapshot rows recorded for the purged room", rows)
			}
			if _, err := s.store.Get(ctx, Key(room, tile, tc.covers)); !errors.Is(err, objstore.ErrNotFound) {
				t.Fatalf("the object of the purged room's snapshot: %v, want ErrNotFound", err)
			}

			// The same render in a room that is not purged records its snapshot (the guard is not what stops it).
			live := uuid.New()
			commit(t, pool, live, eventkind.StrokeAdded, hline(20))
			commit(t, pool, live, eventkind.StrokeAdded, hline(40))
			s.renderer = renderFunc(func([]byte, []*strokev1.Stroke) ([]byte, error) { return []byte("png"), nil })
			if res, err := s.Snapshot(ctx, live, tile, tc.at); err != nil || res.Kind != Full || res.CoversSeq != tc.covers {
				t.Fatalf("snapshot of a live room: %+v, %v", res, err)
			}
			if rows, _ := snapshotCount(t, pool, live); rows != 1 {
				t.Fatalf("%d snapshot rows for the live room, want 1", rows)
			}
		})
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
