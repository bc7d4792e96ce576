package postgres

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/events/storetest"
)

// statements counts the statements a pool sends, alone or in pipelined batches (COPY aside).
type statements struct{ n atomic.Int64 }

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (*statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (*statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (s *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { s.n.Add(1) }
func (*statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)       {}

// mostStatements bounds the statements of one commit: about ten, never one per stroke.
const mostStatements = 20

// The target: restoring a region of 10,000 strokes commits in at most a second. A revert of a
// region of 10,000 strokes, erasing 5,000 and restoring 5,000, commits as one action of two events with
// a handful of statements however many strokes it names (each lookup takes every key at once), and its
// undo as well. The durations are logged, not asserted.
func TestRevertOfTenThousandStrokes(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	sent := &statements{}
	cfg.ConnConfig.Tracer = sent
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := NewStore(pool, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	const n = 10_000 // strokes in the region, 100 × 100 of them 80 world units apart
	room, author := uuid.New(), uuid.New()
	apply := func(cmds ...events.Command) ([]events.Result, []events.Event, time.Duration, int64) {
		t.Helper()
		before, start := sent.n.Load(), time.Now()
		results, evs, err := events.Apply(ctx, store, cmds)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("command %d: %+v", i, r)
			}
		}
		return results, evs[room], took, sent.n.Load() - before
	}
	// The first half is erased, the second visible.
	ids := make([]uuid.UUID, n)
	adds := make([]events.Command, n)
	for i := range ids {
		ids[i] = uuid.New()
		x, y := int64(i%100)*8_000, int64(i/100)*8_000
		adds[i] = events.Command{Op: events.OpAddStroke, Room: room, Author: author, ActionID: ids[i], Stroke: storetest.StrokeAt(t, ids[i], x, y)}
	}
	for b := range slices.Chunk(adds, 2_000) {
		apply(b...)
	}
	erased, visible := ids[:n/2], ids[n/2:]
	apply(events.Command{Op: events.OpErase, Room: room, Author: author, ActionID: uuid.New(), StrokeIDs: erased})

	action := uuid.New()
	res, evs, took, stmts := apply(events.Command{Op: events.OpRevert, Room: room, Author: author, ActionID: action, StrokeIDs: visible, Restore: erased})
	t.Logf("a revert of %d strokes (erasing %d, restoring %d) committed in %v (%d statements)", n, len(visible), len(erased), took, stmts)
	const head = n + 1
	if res[0].Seq != head+2 || len(evs) != 2 {
		t.Fatalf("revert: seq %d, %d events; want seq %d, 2 events", res[0].Seq, len(evs), head+2)
	}
	checkVisibility(t, evs, action, head+1, visible, erased)
	checkState(ctx, t, pool, room, visible, erased)
	checkIndexed(ctx, t, pool, room, head+1, visible, erased)
	if stmts > mostStatements {
		t.Errorf("the revert sent %d statements, want at most %d whatever its size", stmts, mostStatements)
	}

	res, evs, took, stmts = apply(events.Command{Op: events.OpUndo, Room: room, Author: author, ActionID: action})
	t.Logf("its undo committed in %v (%d statements)", took, stmts)
	if res[0].Seq != head+4 || len(evs) != 2 {
		t.Fatalf("undo: seq %d, %d events; want seq %d, 2 events", res[0].Seq, len(evs), head+4)
	}
	checkVisibility(t, evs, action, head+3, erased, visible)
	checkState(ctx, t, pool, room, erased, visible)
	if stmts > mostStatements {
		t.Errorf("the undo sent %d statements, want at most %d whatever its size", stmts, mostStatements)
	}
}

// checkVisibility checks that evs are a StrokesErased of hidden at seq then a StrokesRestored of shown,
// both of action.
func checkVisibility(t *testing.T, evs []events.Event, action uuid.UUID, seq uint64, hidden, shown []uuid.UUID) {
	t.Helper()
	var first, second roomv1.RoomEvent
	if err := proto.Unmarshal(evs[0].Encoded, &first); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(evs[1].Encoded, &second); err != nil {
		t.Fatal(err)
	}
	e, r := first.GetStrokesErased(), second.GetStrokesRestored()
	if first.GetSeq() != seq || second.GetSeq() != seq+1 || e == nil || r == nil {
		t.Fatalf("events %d and %d, want an erase at %d and a restore after it", first.GetSeq(), second.GetSeq(), seq)
	}
	if uuid.UUID(e.GetActionId()) != action || uuid.UUID(r.GetActionId()) != action {
		t.Fatalf("the events carry the actions %x and %x, want %s", e.GetActionId(), r.GetActionId(), action)
	}
	asIDs := func(raw [][]byte) []uuid.UUID {
		out := make([]uuid.UUID, len(raw))
		for i, b := range raw {
			out[i] = uuid.UUID(b)
		}
		return out
	}
	if !slices.Equal(asIDs(e.GetStrokeIds()), hidden) || !slices.Equal(asIDs(r.GetStrokeIds()), shown) {
		t.Fatalf("the events erase %d and restore %d strokes, want %d and %d in request order",
			len(e.GetStrokeIds()), len(r.GetStrokeIds()), len(hidden), len(shown))
	}
}

// checkState checks that every stroke of hidden is erased and every one of shown visible.
func checkState(ctx context.Context, t *testing.T, pool *pgxpool.Pool, room uuid.UUID, hidden, shown []uuid.UUID) {
	t.Helper()
	for _, c := range []struct {
		ids    []uuid.UUID
		erased bool
	}{{hidden, true}, {shown, false}} {
		var n int
		err := pool.QueryRow(ctx, `select count(*) from strokes where room_id = $1 and stroke_id = any($2) and erased = $3`,
			room, binaryUUIDs(c.ids), c.erased).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(c.ids) {
			t.Errorf("%d of %d strokes have erased = %v", n, len(c.ids), c.erased)
		}
	}
}

// checkIndexed checks that the erase event at seq and the restore after it are in tile_events under
// every stroke they touch, with their kinds.
func checkIndexed(ctx context.Context, t *testing.T, pool *pgxpool.Pool, room uuid.UUID, seq uint64, hidden, shown []uuid.UUID) {
	t.Helper()
	for _, c := range []struct {
		seq  uint64
		kind events.Kind
		ids  []uuid.UUID
	}{{seq, events.KindStrokesErased, hidden}, {seq + 1, events.KindStrokesRestored, shown}} {
		var strokes int
		err := pool.QueryRow(ctx, `select count(distinct stroke_id) from tile_events
			where room_id = $1 and seq = $2 and kind = $3 and stroke_id = any($4)`,
			room, int64(c.seq), int16(c.kind), binaryUUIDs(c.ids)).Scan(&strokes)
		if err != nil {
			t.Fatal(err)
		}
		if strokes != len(c.ids) {
			t.Errorf("tile_events at seq %d (kind %d) index %d strokes, want %d", c.seq, c.kind, strokes, len(c.ids))
		}
	}
}
