package postgres

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/events/storetest"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func openPool(t *testing.T) *pgxpool.Pool {
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
	return pool
}

// The rules of package events and the reads hold against PostgreSQL as against the in-memory store: one
// suite for both.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, NewStore(openPool(t), slog.New(slog.DiscardHandler)))
}

// tileRow is one tile_events row.
type tileRow struct {
	level  int16
	x, y   int32
	seq    int64
	stroke uuid.UUID
	kind   events.Kind
}

// Every event is indexed under every tile of every stroke it touches, with its kind: strokes added in
// the batch lend their tiles to an erase in the same batch, stored ones are read for a later restore
// or erase, and a revert's two events are indexed like an erase's and an undo's.
func TestTileIndex(t *testing.T) {
	pool := openPool(t)
	store := NewStore(pool, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room, author, s1, s2, e1, e2, r1 := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	// Strokes of other shapes, so that each one's rows show its own tiles.
	stroke1, stroke2 := storetest.Stroke(t, s1, false), storetest.Stroke(t, s2, true)
	cmd := func(op events.Op, action uuid.UUID) events.Command {
		return events.Command{Op: op, Room: room, Author: author, ActionID: action}
	}
	add1, add2 := cmd(events.OpAddStroke, s1), cmd(events.OpAddStroke, s2)
	add1.Stroke, add2.Stroke = stroke1, stroke2
	eraseS1, eraseS2 := cmd(events.OpErase, e1), cmd(events.OpErase, e2)
	eraseS1.StrokeIDs, eraseS2.StrokeIDs = []uuid.UUID{s1}, []uuid.UUID{s2}
	revert := cmd(events.OpRevert, r1)
	revert.StrokeIDs, revert.Restore = []uuid.UUID{s1}, []uuid.UUID{s2}
	for _, b := range [][]events.Command{
		{add1, add2, eraseS1},             // seq 1, 2, 3
		{cmd(events.OpUndo, e1), eraseS2}, // seq 4, 5
		{revert},                          // seq 6, 7
	} {
		results, _, err := events.Apply(ctx, store, b)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("command %d: %+v", i, r)
			}
		}
	}

	var want []tileRow
	for _, e := range []struct {
		seq    int64
		stroke uuid.UUID
		tiles  []strokes.Tile
		kind   events.Kind
	}{
		{1, s1, stroke1.Tiles, events.KindStrokeAdded},
		{2, s2, stroke2.Tiles, events.KindStrokeAdded},
		{3, s1, stroke1.Tiles, events.KindStrokesErased},
		{4, s1, stroke1.Tiles, events.KindStrokesRestored},
		{5, s2, stroke2.Tiles, events.KindStrokesErased},
		{6, s1, stroke1.Tiles, events.KindStrokesErased},
		{7, s2, stroke2.Tiles, events.KindStrokesRestored},
	} {
		for _, tl := range e.tiles {
			want = append(want, tileRow{int16(tl.Level), tl.X, tl.Y, e.seq, e.stroke, e.kind})
		}
	}
	rows, err := pool.Query(ctx, `select level, tx, ty, seq, stroke_id, kind from tile_events where room_id = $1`, room)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tileRow, error) {
		var tr tileRow
		err := r.Scan(&tr.level, &tr.x, &tr.y, &tr.seq, &tr.stroke, &tr.kind)
		return tr, err
	})
	if err != nil {
		t.Fatal(err)
	}
	order := func(a, b tileRow) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.level, b.level), cmp.Compare(a.x, b.x), cmp.Compare(a.y, b.y))
	}
	slices.SortFunc(want, order)
	slices.SortFunc(got, order)
	if !slices.Equal(got, want) {
		t.Fatalf("tile_events rows:\n%v\nwant\n%v", got, want)
	}
}
