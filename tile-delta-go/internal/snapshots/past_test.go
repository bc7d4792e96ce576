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

// pastTile is the level-0 tile every stroke of history lies on.
var pastTile = strokes.Tile{Level: 0, X: 0, Y: 0}

// history commits, on pastTile: 1 add a, 2 add b, 3 add c, 4 erase a, 5 add d, 6 restore a, 7 erase b,
// 8 add e, 9 add a stroke on another tile, 10 add g, 11 erase c. It returns the stroke names by id.
func history(t *testing.T, pool *pgxpool.Pool, room uuid.UUID) map[string]string {
	t.Helper()
	names := map[string]string{}
	st := map[string]*strokev1.Stroke{}
	for i, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		st[n] = hline(int64(20 + 20*i))
		names[string(st[n].GetId())] = n
	}
	st["f"] = hline(1000) // level-0 tile (0, 3)
	steps := []struct {
		kind   eventkind.Kind
		stroke string
	}{
		{eventkind.StrokeAdded, "a"}, {eventkind.StrokeAdded, "b"}, {eventkind.StrokeAdded, "c"}, {eventkind.StrokesErased, "a"},
		{eventkind.StrokeAdded, "d"}, {eventkind.StrokesRestored, "a"}, {eventkind.StrokesErased, "b"}, {eventkind.StrokeAdded, "e"},
		{eventkind.StrokeAdded, "f"}, {eventkind.StrokeAdded, "g"}, {eventkind.StrokesErased, "c"},
	}
	for i, s := range steps {
		if seq := commit(t, pool, room, s.kind, st[s.stroke]); seq != uint64(i+1) {
			t.Fatalf("step %d committed as seq %d", i+1, seq)
		}
	}
	return names
}

// strokeNames names strokes, in order.
func strokeNames(names map[string]string, ss []*strokev1.Stroke) string {
	var out []string
	for _, s := range ss {
		out = append(out, names[string(s.GetId())])
	}
	return fmt.Sprint(out)
}

// putSnapshot records a snapshot row of pastTile covering seq (the object does not matter to reads).
func putSnapshot(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, seq uint64) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes)
		values ($1, $2, $3, $4, $5, $6, 3)`, room, pastTile.Level, pastTile.X, pastTile.Y, int64(seq), Key(room, pastTile, seq)); err != nil {
		t.Fatal(err)
	}
}

// coversOf is what the content's snapshot covers, 0 for none.
func coversOf(c tiles.Content) uint64 {
	if c.Snapshot == nil {
		return 0
	}
	return c.Snapshot.CoversSeq
}

// readAt reads one tile with the options (a point, a bound) in one repeatable-read transaction, as GetTiles does.
func readAt(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, tl strokes.Tile, o tiles.Options) tiles.Content {
	t.Helper()
	var c tiles.Content
	err := pgx.BeginTxFunc(context.Background(), pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		out, _, err := tiles.ReadTx(context.Background(), tx, room, []strokes.Tile{tl}, o)
		if err == nil {
			c = out[0]
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Reading the tile right after each event gives exactly the strokes visible then: a stroke erased later
// is shown, one erased before is hidden, a restored one is shown again, whatever the strokes' state now.
// A snapshot covering a later event is never used; one followed by an erase or restore up to the point
// is not used either. At is the tile's last event up to the point (the head for a read of now).
func TestReadAtEveryPoint(t *testing.T) {
	_, pool := newSnapshotter(t, Policy{})
	tests := []struct {
		at       int64  // -1: now
		strokes  string // without snapshots
		at2      uint64 // Content.At
		snapshot uint64 // with snapshot rows covering 3 and 5: the one used (0: none)
		after    string // the strokes then
	}{
		{1, "[a]", 1, 0, "[a]"},
		{2, "[a b]", 2, 0, "[a b]"},         // the snapshot covering 3 is newer
		{3, "[a b c]", 3, 3, "[]"},          // the snapshot covers exactly the point
		{4, "[b c]", 4, 0, "[b c]"},         // a erased at 4, after the snapshot covering 3: stale
		{5, "[b c d]", 5, 5, "[]"},          //
		{6, "[a b c d]", 6, 0, "[a b c d]"}, // a restored at 6, after the snapshot covering 5: stale
		{7, "[a c d]", 7, 0, "[a c d]"},
		{8, "[a c d e]", 8, 0, "[a c d e]"},
		{9, "[a c d e]", 8, 0, "[a c d e]"},       // event 9 touches another tile: the tile as at 8
		{10, "[a c d e g]", 10, 0, "[a c d e g]"}, // c erased at 11 still shows
		{11, "[a d e g]", 11, 0, "[a d e g]"},     // the head: a read of now
		{12, "[a d e g]", 11, 0, "[a d e g]"},     // beyond the head: now
		{-1, "[a d e g]", 11, 0, "[a d e g]"},     // now
		{0, "[]", 0, 0, "[]"},                     // before the first event: nothing
	}
	for _, withSnapshots := range []bool{false, true} {
		room := uuid.New()
		names := history(t, pool, room)
		if withSnapshots {
			putSnapshot(t, pool, room, 3)
			putSnapshot(t, pool, room, 5)
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("snapshots %v, at %d", withSnapshots, tc.at), func(t *testing.T) {
				c := readAt(t, pool, room, pastTile, tiles.Options{At: point(tc.at)})
				want, snapshot := tc.strokes, uint64(0)
				if withSnapshots {
					want, snapshot = tc.after, tc.snapshot
				}
				if got := strokeNames(names, c.Strokes); got != want {
					t.Errorf("strokes %s, want %s", got, want)
				}
				if got := coversOf(c); got != snapshot {
					t.Errorf("snapshot covering %d, want %d", got, snapshot)
				}
				if c.At != tc.at2 || c.After != snapshot {
					t.Errorf("at %d after %d, want at %d after %d", c.At, c.After, tc.at2, snapshot)
				}
			})
		}
	}
}

// A client that holds the tile up to a point reads what changed since, at a past point too: only the
// strokes added after its copy when nothing was erased or restored in between, else the whole tile
// (Reset). A copy of a state after the point read is never built on.
func TestReadAtPointFromAClientCopy(t *testing.T) {
	_, pool := newSnapshotter(t, Policy{})
	room := uuid.New()
	names := history(t, pool, room)
	tests := []struct {
		name    string
		held    tiles.Held
		at      int64 // -1: now
		strokes string
		reset   bool
	}{
		{"copy at 1, read at 3", tiles.Held{Min: 1, Max: 1}, 3, "[b c]", false},
		{"copy at 3, read at 5: a erased in between", tiles.Held{Min: 3, Max: 3}, 5, "[b c d]", true},
		{"copy at 6, read at 6", tiles.Held{Min: 6, Max: 6}, 6, "[]", false},
		{"copy at 8, read at 3", tiles.Held{Min: 8, Max: 8}, 3, "[a b c]", true},
		{"copies at 1 and 8, read at 3", tiles.Held{Min: 1, Max: 8}, 3, "[a b c]", true},
		{"copy at 8, read now", tiles.Held{Min: 8, Max: 8}, -1, "[a d e g]", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := readAt(t, pool, room, pastTile, tiles.Options{At: point(tc.at), Client: &tc.held})
			if got := strokeNames(names, c.Strokes); got != tc.strokes || c.Reset != tc.reset {
				t.Fatalf("strokes %s reset %v, want %s reset %v", got, c.Reset, tc.strokes, tc.reset)
			}
		})
	}
}

// recordingRender records each render's strokes (by name) on its base, and makes PNGs that say so.
func recordingRender(names map[string]string, calls *[]string) renderFunc {
	return func(base []byte, ss []*strokev1.Stroke) ([]byte, error) {
		png := fmt.Sprintf("%s%s", base, strokeNames(names, ss))
		*calls = append(*calls, png)
		return []byte(png), nil
	}
}

// snapshotRows lists the covers_seq of pastTile's snapshot rows.
func snapshotRows(t *testing.T, pool *pgxpool.Pool, room uuid.UUID) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `select covers_seq from tile_snapshots where room_id = $1 and level = $2 and tx = $3 and ty = $4 order by covers_seq`,
		room, pastTile.Level, pastTile.X, pastTile.Y)
	if err != nil {
		t.Fatal(err)
	}
	covers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return covers
}

// A past tile over the bound is pending, once for every point from its last event until its next one
// (one job), and reads back after its render as a snapshot covering that event, without strokes, at
// those points; a read of now keeps reading the newest snapshot, and still starts from it.
func TestPastTileIsPendingUntilRenderedAtItsLastEvent(t *testing.T) {
	ctx := context.Background()
	s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second})
	room := uuid.New()
	names := history(t, pool, room)
	var calls []string
	s.renderer = recordingRender(names, &calls)
	bound := tiles.Bound{Strokes: 2}
	for _, at := range []uint64{8, 9} {
		if c := readAt(t, pool, room, pastTile, tiles.Options{At: tiles.Past(at), Bound: bound}); !c.Pending || len(c.Strokes) != 0 || c.At != 8 {
			t.Fatalf("at %d: pending %v, %d strokes, at %d; want pending at 8", at, c.Pending, len(c.Strokes), c.At)
		}
	}
	res, err := s.Snapshot(ctx, room, pastTile, 9)
	if err != nil || res.Kind != Full || res.CoversSeq != 8 {
		t.Fatalf("render at 9: %+v, %v; want a full render covering 8", res, err)
	}
	if want := []string{"[a c d e]"}; !slices.Equal(calls, want) {
		t.Fatalf("renders %v, want %v (visible at 8, c included though erased now)", calls, want)
	}
	for _, at := range []uint64{8, 9} {
		c := readAt(t, pool, room, pastTile, tiles.Options{At: tiles.Past(at), Bound: bound})
		if c.Pending || coversOf(c) != 8 || len(c.Strokes) != 0 {
			t.Fatalf("at %d after the render: pending %v, snapshot %d, %d strokes", at, c.Pending, coversOf(c), len(c.Strokes))
		}
	}
	if res, err := s.Snapshot(ctx, room, pastTile, 8); err != nil || res.Kind != UpToDate {
		t.Fatalf("render at 8 again: %+v, %v; want up to date", res, err)
	}
	// Now: the snapshot covering 8 is the newest, and c's erase at 11 makes it stale.
	if c := readAt(t, pool, room, pastTile, tiles.Options{}); !c.Stale || strokeNames(names, c.Strokes) != "[a d e g]" {
		t.Fatalf("now: stale %v strokes %s", c.Stale, strokeNames(names, c.Strokes))
	}
	// A tile nothing had touched by the point has nothing to render.
	if res, err := s.Snapshot(ctx, room, strokes.Tile{Level: 0, X: 0, Y: 3}, 8); err != nil || res.Kind != UpToDate {
		t.Fatalf("render of a tile empty at 8: %+v, %v", res, err)
	}
}

// A delta over a chunk is drawn in chunks at the past point as it is now, with the strokes visible at
// the point render (never the strokes' state now), each chunk on the previous one's picture; a chunk is
// recorded as a snapshot only when no erase or restore between it and the point changes what it shows.
func TestRenderAtAPointInChunks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		at    uint64
		calls []string
		rows  []int64
	}{
		// Visible at 3: a b c, nothing erased by then: the first chunk is a snapshot covering b.
		{"at 3", 3, []string{"[a b]", "[a b][c]"}, []int64{2, 3}},
		// Visible at 8: a c d e (c erased only at 11); a's restore at 6 and b's erase at 7 come after
		// the first chunk, so it is no snapshot of its own.
		{"at 9", 9, []string{"[a c]", "[a c][d e]"}, []int64{8}},
		// Now: a d e g; c's erase at 11 comes after the first chunk.
		{"now", 0, []string{"[a d]", "[a d][e g]"}, []int64{11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := newSnapshotter(t, Policy{Workers: 1, Queue: 4, Timeout: 10 * time.Second, ChunkStrokes: 2})
			room := uuid.New()
			names := history(t, pool, room)
			var calls []string
			s.renderer = recordingRender(names, &calls)
			res, err := s.Snapshot(ctx, room, pastTile, tc.at)
			if err != nil || res.Kind != Full || res.CoversSeq != uint64(tc.rows[len(tc.rows)-1]) {
				t.Fatalf("snapshot: %+v, %v", res, err)
			}
			if !slices.Equal(calls, tc.calls) {
				t.Fatalf("renders %v, want %v", calls, tc.calls)
			}
			if got := snapshotRows(t, pool, room); !slices.Equal(got, tc.rows) {
				t.Fatalf("snapshots cover %v, want %v", got, tc.rows)
			}
		})
	}
}

// point is a test table's point as a read's: -1 reads now.
func point(at int64) *uint64 {
	if at < 0 {
		return nil
	}
	return tiles.Past(uint64(at))
}
