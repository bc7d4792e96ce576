package snapshots

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
)

// countingRender counts renders and their kinds.
type countingRender struct{ full, incremental atomic.Int64 }

func (r *countingRender) RenderTile(_ context.Context, _ strokes.Tile, base []byte, _ []*strokev1.Stroke) ([]byte, string, error) {
	if base == nil {
		r.full.Add(1)
	} else {
		r.incremental.Add(1)
	}
	return []byte("png"), "test", nil
}

// commit stores an event the way realtime-go's writer does: the head, the event, the stroke's state
// and a tile_events row under every tile of the stroke. It returns the new head.
func commit(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, kind eventkind.Kind, st *strokev1.Stroke) uint64 {
	t.Helper()
	ctx := context.Background()
	v, err := strokes.Validate(st)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := uuid.FromBytes(st.GetId())
	var event proto.Message = &roomv1.StrokeAdded{Stroke: st}
	if kind != eventkind.StrokeAdded {
		action := uuid.New()
		event = &roomv1.StrokesErased{ActionId: action[:], StrokeIds: [][]byte{st.GetId()}}
	}
	payload, _ := proto.Marshal(event)
	var seq int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `insert into room_heads (room_id, head_seq) values ($1, 1)
			on conflict (room_id) do update set head_seq = room_heads.head_seq + 1 returning head_seq`, room).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `insert into stroke_events (room_id, seq, kind, action_id, author_id, payload) values ($1, $2, $3, $4, $5, $6)`,
			room, seq, kind, uuid.New(), uuid.New(), payload); err != nil {
			return err
		}
		if kind == eventkind.StrokeAdded {
			if _, err := tx.Exec(ctx, `insert into strokes (room_id, stroke_id, author_id, added_seq) values ($1, $2, $3, $4)`, room, id, uuid.New(), seq); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `update strokes set erased = $3 where room_id = $1 and stroke_id = $2`, room, id, kind == eventkind.StrokesErased); err != nil {
			return err
		}
		for _, tl := range v.Tiles {
			if _, err := tx.Exec(ctx, `insert into tile_events (room_id, level, tx, ty, seq, stroke_id, kind) values ($1, $2, $3, $4, $5, $6, $7)`,
				room, tl.Level, tl.X, tl.Y, seq, id, kind); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uint64(seq)
}

func hline(y int64) *strokev1.Stroke {
	id := uuid.New()
	q, p, pr := strokes.EncodePoints([]strokes.Point{{X: 1000, Y: y * 100, Pressure: strokes.DefaultPressure}, {X: 20000, Y: y * 100, Pressure: strokes.DefaultPressure}})
	return &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: 0xff, Width: 400, Quantum: q, Points: p, Pressures: pr}
}

// replica is one tile-delta-go's snapshot machinery.
type replica struct {
	render *countingRender
	cancel context.CancelFunc
	done   chan struct{}
}

// startReplica follows with small pages (2 events) and a slice of 0: it lets the other rooms go first
// after every page, so every test also goes through the hand-over between slices.
func startReplica(t *testing.T, pool *pgxpool.Pool, store objstore.Store, owner string) *replica {
	t.Helper()
	return startReplicaWith(t, pool, store, FollowOptions{Owner: owner, Interval: 10 * time.Millisecond, Lease: 3 * time.Second, Rooms: 4, Page: 2,
		MinStrokes: 3, MinBytes: 1 << 20})
}

func startReplicaWith(t *testing.T, pool *pgxpool.Pool, store objstore.Store, opt FollowOptions) *replica {
	t.Helper()
	r := &replica{render: &countingRender{}, done: make(chan struct{})}
	s := New(pool, store, r.render, Policy{Workers: 2, Queue: 64, Timeout: 10 * time.Second, Retain: time.Hour}, prometheus.NewRegistry(), nil)
	f := NewFollower(pool, s, opt, prometheus.NewRegistry(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		go s.Run(ctx)
		f.Run(ctx)
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func (r *replica) renders() int64 { return r.render.full.Load() + r.render.incremental.Load() }

// waitFollowed polls tile_follow until the room is followed up to seq, and returns its owner.
func waitFollowed(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, seq uint64) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var followed int64
		var owner string
		err := pool.QueryRow(context.Background(), `select followed_seq, owner from tile_follow where room_id = $1`, room).Scan(&followed, &owner)
		if err == nil && uint64(followed) >= seq {
			return owner
		}
		if time.Now().After(deadline) {
			t.Fatalf("room not followed up to %d in 30 s (followed %d, %v)", seq, followed, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func snapshotCount(t *testing.T, pool *pgxpool.Pool, room uuid.UUID) (rows, tiles int64) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), `select count(*), count(distinct (level, tx, ty)) from tile_snapshots where room_id = $1`, room).Scan(&rows, &tiles); err != nil {
		t.Fatal(err)
	}
	return rows, tiles
}

// Commits drive snapshots: two replicas follow the same database, one of them follows the room, and
// every tile its strokes touch is rendered exactly once when the threshold is reached; an erase makes
// every one of them render in full again; a replica that takes over a room whose lease ran out
// re-checks its events without rendering what is covered already.
func TestFollowersRenderEachTileOnce(t *testing.T) {
	_, pool := newSnapshotter(t, Policy{})
	store, err := objstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	room := uuid.New()
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `delete from tile_follow where room_id = $1`, room)
	})
	a, b := startReplica(t, pool, store, "a"), startReplica(t, pool, store, "b")

	lines := []*strokev1.Stroke{hline(20), hline(60), hline(100), hline(140), hline(180)}
	commit(t, pool, room, eventkind.StrokeAdded, lines[0])
	commit(t, pool, room, eventkind.StrokeAdded, lines[1])
	head := commit(t, pool, room, eventkind.StrokeAdded, lines[2])
	v, _ := strokes.Validate(lines[0])
	want := int64(len(v.Tiles)) // every line lies in the same tile of every level
	waitFollowed(t, pool, room, head)
	if rows, tiles := snapshotCount(t, pool, room); rows != want || tiles != want {
		t.Fatalf("after the threshold: %d snapshots of %d tiles, want one of each of the %d tiles", rows, tiles, want)
	}
	if got := a.renders() + b.renders(); got != want {
		t.Fatalf("%d renders across both replicas, want %d (one per tile)", got, want)
	}

	// Two more strokes stay below the threshold: no render. A third passes it: incremental renders.
	commit(t, pool, room, eventkind.StrokeAdded, lines[3])
	head = commit(t, pool, room, eventkind.StrokeAdded, hline(200))
	waitFollowed(t, pool, room, head)
	if got := a.renders() + b.renders(); got != want {
		t.Fatalf("below the threshold: %d renders, want still %d", got, want)
	}
	head = commit(t, pool, room, eventkind.StrokeAdded, lines[4])
	waitFollowed(t, pool, room, head)
	if got := a.render.incremental.Load() + b.render.incremental.Load(); got != want {
		t.Fatalf("%d incremental renders, want %d", got, want)
	}

	// An erase makes every snapshot of the stroke's tiles unusable: full renders.
	full := a.render.full.Load() + b.render.full.Load()
	head = commit(t, pool, room, eventkind.StrokesErased, lines[0])
	owner := waitFollowed(t, pool, room, head)
	if got := a.render.full.Load() + b.render.full.Load() - full; got != want {
		t.Fatalf("after an erase: %d full renders, want %d", got, want)
	}

	// The owner stops without recording its lease as over; the room's lease runs out and the other
	// replica looks at everything again from the start: all covered, nothing rendered.
	survivor := b
	if owner == "b" {
		b.stop()
		survivor = a
	} else {
		a.stop()
	}
	before := survivor.renders()
	if _, err := pool.Exec(context.Background(), `update tile_follow set followed_seq = 0, lease_until = now() - interval '1 second' where room_id = $1`, room); err != nil {
		t.Fatal(err)
	}
	if got := waitFollowed(t, pool, room, head); got == owner {
		t.Fatalf("the room stayed with the stopped replica %s", got)
	}
	if got := survivor.renders() - before; got != 0 {
		t.Fatalf("the replica that took over rendered %d covered tiles again", got)
	}
}

// A room with a long log does not hold back the others: with one room followed at a time, a room
// committed to after a long backlog is caught up while the long one is still on its first pages.
func TestFollowerGivesEveryRoomATurn(t *testing.T) {
	_, pool := newSnapshotter(t, Policy{})
	store, err := objstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	long, short := uuid.New(), uuid.New()
	var longHead uint64
	for i := range 40 {
		longHead = commit(t, pool, long, eventkind.StrokeAdded, hline(int64(20+i)))
	}
	var shortHead uint64
	for i := range 3 {
		shortHead = commit(t, pool, short, eventkind.StrokeAdded, hline(int64(20+i)))
	}
	startReplicaWith(t, pool, store, FollowOptions{Owner: "solo", Interval: 10 * time.Millisecond, Lease: 3 * time.Second, Rooms: 1, Page: 2,
		MinStrokes: 3, MinBytes: 1 << 20})
	waitFollowed(t, pool, short, shortHead)
	var followed int64
	if err := pool.QueryRow(context.Background(), `select coalesce((select followed_seq from tile_follow where room_id = $1), 0)`, long).Scan(&followed); err != nil {
		t.Fatal(err)
	}
	// 20 pages of 2 events: the short room's two pages come within the long room's first few turns.
	if uint64(followed) >= longHead/2 {
		t.Fatalf("the long room was followed up to %d of %d before the short room's 3 events", followed, longHead)
	}
	if rows, _ := snapshotCount(t, pool, short); rows == 0 {
		t.Fatal("the short room has no snapshot")
	}
	waitFollowed(t, pool, long, longHead)
}

// A long log is checked once per tile, not once per page: a tile found below the threshold at the head
// the check saw is not checked again for events up to that head (those checks grew with the tile's
// delta, for every page, and held a million-stroke catch-up at 30,000 events a minute).
func TestFollowerChecksEachTileOncePerHead(t *testing.T) {
	_, pool := newSnapshotter(t, Policy{})
	store, err := objstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	room := uuid.New()
	const events = 20
	var head uint64
	for i := range events {
		head = commit(t, pool, room, eventkind.StrokeAdded, hline(int64(20+i)))
	}
	v, _ := strokes.Validate(hline(20))
	tiles := len(v.Tiles) // every line lies in the same tile of every level

	render := &countingRender{}
	s := New(pool, store, render, Policy{Workers: 1, Queue: 8, Timeout: 10 * time.Second, Retain: time.Hour}, prometheus.NewRegistry(), nil)
	f := NewFollower(pool, s, FollowOptions{Owner: "once", Interval: 10 * time.Millisecond, Lease: 3 * time.Second, Rooms: 1, Page: 2,
		Slice: time.Minute, MinStrokes: events + 1, MinBytes: 1 << 20}, prometheus.NewRegistry(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		go s.Run(ctx)
		f.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFollowed(t, pool, room, head)

	checked := testutil.ToFloat64(f.tiles.WithLabelValues("below_threshold"))
	decided := testutil.ToFloat64(f.tiles.WithLabelValues("decided"))
	if checked != float64(tiles) || decided != float64(tiles*(events/2-1)) {
		t.Fatalf("%d pages of one room's %d tiles: %.0f checked and %.0f skipped as decided, want %d and %d",
			events/2, tiles, checked, decided, tiles, tiles*(events/2-1))
	}
	if got := render.full.Load() + render.incremental.Load(); got != 0 {
		t.Fatalf("%d renders below the threshold", got)
	}
}
