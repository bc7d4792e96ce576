package snapshots

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// coarseTile holds every hline (they lie within 200 world units of the origin) at level 6, and so does
// fineTile at level 5.
var coarseTile, fineTile = strokes.Tile{Level: 6}, strokes.Tile{Level: 5}

// pngRender makes a PNG-sized picture of every render, so that rows have a size.
var pngRender = renderFunc(func(base []byte, ss []*strokev1.Stroke) ([]byte, error) {
	return append(slices.Clip(base), make([]byte, len(ss))...), nil
})

// tileRows lists a tile's snapshot rows: covers_seq, with the counts of the checkpoint levels.
func tileRows(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, tl strokes.Tile) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `select covers_seq, events, changes from tile_snapshots
		where room_id = $1 and level = $2 and tx = $3 and ty = $4 order by covers_seq`, room, tl.Level, tl.X, tl.Y)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var covers int64
	var events, changes *int64
	if _, err := pgx.ForEachRow(rows, []any{&covers, &events, &changes}, func() error {
		if events == nil {
			out = append(out, fmt.Sprint(covers))
		} else {
			out = append(out, fmt.Sprintf("%d(%d,%d)", covers, *events, *changes))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// ageSnapshots makes every snapshot of the room older than any retention, as if the room had rested.
func ageSnapshots(t *testing.T, pool *pgxpool.Pool, room uuid.UUID) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `update tile_snapshots set created_at = now() - interval '1 day' where room_id = $1`, room); err != nil {
		t.Fatal(err)
	}
}

// A room written in bulk (10 strokes), then drawn on and erased in, a render of now after each step:
// at a checkpoint level the long first delta is drawn in chunks of Spacing strokes, every row counts
// the tile's index entries, and collection keeps the first snapshot of each stretch of Spacing entries
// and the first after the erase, deleting the other superseded ones (none before Spacing entries). Past
// reads are then served from a checkpoint within the bound at every point but the erase itself (the
// snapshot before it is stale, the one after it covers a later event). Without checkpoints (spacing 0,
// a level below MinLevel, or a tile with fewer entries than the spacing) only the newest snapshot stays
// and nearly every past point is pending.
func TestCollectKeepsCheckpoints(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		checkpoints Checkpoints
		tile        strokes.Tile
		made        []string // rows after the renders: covers_seq(events,changes)
		kept        []string // after collection
		pending     []uint64 // the past points read pending with a bound of 4 strokes
	}{
		{"checkpoints every 4 entries", Checkpoints{MinLevel: 6, Spacing: 4}, coarseTile,
			[]string{"4(4,0)", "8(8,0)", "10(10,0)", "13(13,0)", "15(15,1)", "19(19,1)", "22(22,1)"},
			[]string{"4(4,0)", "8(8,0)", "13(13,0)", "15(15,1)", "19(19,1)", "22(22,1)"},
			[]uint64{14}},
		{"fewer entries than the spacing", Checkpoints{MinLevel: 6, Spacing: 64}, coarseTile,
			[]string{"10(10,0)", "13(13,0)", "15(15,1)", "19(19,1)", "22(22,1)"},
			[]string{"22(22,1)"},
			[]uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}},
		{"no checkpoints", Checkpoints{}, coarseTile,
			[]string{"10", "13", "15", "19", "22"},
			[]string{"22"},
			[]uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}},
		{"a level below the checkpoint levels", Checkpoints{MinLevel: 6, Spacing: 4}, fineTile,
			[]string{"10", "13", "15", "19", "22"},
			[]string{"22"},
			[]uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second, Retain: time.Hour, Checkpoints: tc.checkpoints})
			s.renderer = pngRender
			room := uuid.New()
			var added []*strokev1.Stroke
			add := func(n int) {
				for range n {
					st := hline(int64(10 + len(added)))
					added = append(added, st)
					commit(t, pool, room, eventkind.StrokeAdded, st)
				}
			}
			renderNow := func() {
				if _, err := s.Snapshot(ctx, room, tc.tile, 0); err != nil {
					t.Fatal(err)
				}
			}
			add(10) // 1..10
			renderNow()
			add(3) // 11..13
			renderNow()
			commit(t, pool, room, eventkind.StrokesErased, added[0]) // 14
			add(1)                                                   // 15
			renderNow()
			add(4) // 16..19
			renderNow()
			add(3) // 20..22
			renderNow()
			if got := tileRows(t, pool, room, tc.tile); !slices.Equal(got, tc.made) {
				t.Fatalf("snapshots made %v, want %v", got, tc.made)
			}
			ageSnapshots(t, pool, room)
			n, err := s.Collect(ctx, room, tc.tile)
			if err != nil {
				t.Fatal(err)
			}
			got := tileRows(t, pool, room, tc.tile)
			if !slices.Equal(got, tc.kept) || n != len(tc.made)-len(tc.kept) {
				t.Fatalf("collected %d, kept %v; want %d collected, kept %v", n, got, len(tc.made)-len(tc.kept), tc.kept)
			}
			var pending []uint64
			for at := uint64(1); at <= 22; at++ {
				c := readAt(t, pool, room, tc.tile, tiles.Options{At: tiles.Past(at), Bound: tiles.Bound{Strokes: 4}})
				if c.Pending {
					pending = append(pending, at)
					continue
				}
				if c.Snapshot != nil {
					// The picture is the row's object, still there.
					if _, err := s.store.Get(ctx, c.Snapshot.Key); err != nil {
						t.Fatalf("at %d: the snapshot covering %d: %v", at, c.Snapshot.CoversSeq, err)
					}
				}
			}
			if !slices.Equal(pending, tc.pending) {
				t.Fatalf("pending at %v, want %v", pending, tc.pending)
			}
		})
	}
}

// A board drawn stroke by stroke, rendered every few strokes as the follower does (each render of now
// followed by a collection, as Run does), with erases and restores now and then: at rest every past point
// has a usable snapshot (or nothing) no more than 2 × Spacing strokes before it (but maybe the points from an erase
// or restore until the render after it: a snapshot before them is stale, and unless a chunk of that
// render lies between, the next one shows a later event), and the tile keeps at most
// events / Spacing + changes checkpoints and its newest snapshot (the storage bound), however often it
// was rendered.
func TestCheckpointsBoundPastReadsAndStorage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name            string
		strokes, every  int // strokes drawn, and a render of now after every so many
		eraseEvery      int // an erase (and, the next time, a restore) after every so many strokes, 0: none
		spacing, before int // Checkpoints.Spacing, and strokes written in bulk before the first render
	}{
		{"live, no erases", 240, 5, 0, 16, 0},
		{"live, with erases and restores", 240, 7, 40, 16, 0},
		{"written in bulk, then live", 300, 9, 0, 32, 200},
		{"snapshots rarer than the spacing", 200, 20, 0, 8, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second, Retain: time.Minute,
				Checkpoints: Checkpoints{MinLevel: 6, Spacing: tc.spacing}})
			s.renderer = pngRender
			room := uuid.New()
			var added []*strokev1.Stroke
			erased := map[int]bool{}
			changes := 0
			var unseen []uint64 // the erases and restores no render has seen yet
			gaps := map[uint64]bool{}
			render := func() {
				head := uint64(len(added) + changes)
				for _, e := range unseen {
					for p := e; p < head; p++ {
						gaps[p] = true
					}
				}
				unseen = nil
				if _, err := s.Snapshot(ctx, room, coarseTile, 0); err != nil {
					t.Fatal(err)
				}
				ageSnapshots(t, pool, room) // every render is older than the retention by the next one
				if _, err := s.Collect(ctx, room, coarseTile); err != nil {
					t.Fatal(err)
				}
			}
			for i := range tc.strokes {
				st := hline(int64(10 + i))
				added = append(added, st)
				commit(t, pool, room, eventkind.StrokeAdded, st)
				if tc.eraseEvery > 0 && (i+1)%tc.eraseEvery == 0 {
					victim := i / 2 // erased, and restored the next time
					kind := eventkind.StrokesErased
					if erased[victim] {
						kind = eventkind.StrokesRestored
					}
					erased[victim] = !erased[victim]
					unseen = append(unseen, commit(t, pool, room, kind, added[victim]))
					changes++
				}
				if i+1 > tc.before && (i+1-tc.before)%tc.every == 0 {
					render()
				}
			}
			render()
			head := uint64(tc.strokes + changes)
			rows := tileRows(t, pool, room, coarseTile)
			if limit := tc.strokes/tc.spacing + changes + 1; len(rows) > limit { // and the newest
				t.Fatalf("%d snapshots kept, over the bound of %d: %v", len(rows), limit, rows)
			}
			if len(rows) < tc.strokes/(2*tc.spacing) {
				t.Fatalf("only %d snapshots kept: %v", len(rows), rows)
			}
			for at := uint64(1); at <= head; at++ {
				c := readAt(t, pool, room, coarseTile, tiles.Options{At: tiles.Past(at), Bound: tiles.Bound{Strokes: 2 * tc.spacing}})
				if c.Pending && !gaps[at] {
					t.Fatalf("at %d: pending (snapshots %v)", at, rows)
				}
			}
		})
	}
}

// Rows recorded before checkpoints (no counts) at a checkpoint level are collected as before, and the
// tile's first counted snapshot counts its whole index.
func TestUncountedSnapshotsAreCollectedAsBefore(t *testing.T) {
	ctx := context.Background()
	s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second, Retain: time.Hour,
		Checkpoints: Checkpoints{MinLevel: 6, Spacing: 4}})
	s.renderer = pngRender
	room := uuid.New()
	for i := range 12 {
		commit(t, pool, room, eventkind.StrokeAdded, hline(int64(10+i)))
	}
	for _, seq := range []int64{2, 5, 9} {
		key := Key(room, coarseTile, uint64(seq))
		if err := s.store.Put(ctx, key, make([]byte, seq), "image/png"); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes) values ($1, $2, $3, $4, $5, $6, $7)`,
			room, coarseTile.Level, coarseTile.X, coarseTile.Y, seq, key, seq); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := s.Snapshot(ctx, room, coarseTile, 0); err != nil || res.Kind != Incremental || res.CoversSeq != 12 {
		t.Fatalf("render now: %+v, %v; want an incremental one on the snapshot covering 9", res, err)
	}
	if got, want := tileRows(t, pool, room, coarseTile), []string{"2", "5", "9", "12(12,0)"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	ageSnapshots(t, pool, room)
	if n, err := s.Collect(ctx, room, coarseTile); err != nil || n != 3 {
		t.Fatalf("collected %d, %v; want 3", n, err)
	}
	if got, want := tileRows(t, pool, room, coarseTile), []string{"12(12,0)"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}
