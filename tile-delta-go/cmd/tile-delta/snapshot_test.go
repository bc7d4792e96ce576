package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/snapshots"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// testPool connects to the test's database (testDB), the one its stacks use.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// eraseStroke commits a StrokesErased event the way realtime-go's writer does (room head, event,
// stroke state, a tile_events row of kind 2 for every tile the stroke touches) and returns the room's
// head. realtime-go accepts erases only over its WebSocket; writing the same rows here keeps this test
// to gRPC neighbours.
func eraseStroke(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, stroke []byte) uint64 {
	return commitVisibility(t, pool, room, stroke, true)
}

// restoreStroke commits a StrokesRestored event (an undone erase) the same way: the stroke visible
// again and a tile_events row of kind 3 for every tile it touches.
func restoreStroke(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, stroke []byte) {
	commitVisibility(t, pool, room, stroke, false)
}

func commitVisibility(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, stroke []byte, erased bool) uint64 {
	t.Helper()
	ctx := context.Background()
	action := uuid.New()
	kind, event := eventkind.StrokesRestored, proto.Message(&roomv1.StrokesRestored{ActionId: action[:], StrokeIds: [][]byte{stroke}})
	if erased {
		kind, event = eventkind.StrokesErased, &roomv1.StrokesErased{ActionId: action[:], StrokeIds: [][]byte{stroke}}
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `update room_heads set head_seq = head_seq + 1, updated_at = now() where room_id = $1 returning head_seq`, room).Scan(&seq); err != nil {
			return err
		}
		payload, _ := proto.Marshal(event)
		id, _ := uuid.FromBytes(stroke)
		if _, err := tx.Exec(ctx, `insert into stroke_events (room_id, seq, kind, action_id, author_id, payload) values ($1, $2, $3, $4, $5, $6)`,
			room, seq, kind, action, uuid.New(), payload); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update strokes set erased = $3 where room_id = $1 and stroke_id = $2`, room, id, erased); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `insert into tile_events (room_id, level, tx, ty, seq, stroke_id, kind)
			select room_id, level, tx, ty, $3, stroke_id, $4 from tile_events where room_id = $1 and stroke_id = $2 and kind = $5`, room, id, seq, kind, eventkind.StrokeAdded)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var head int64
	_ = pool.QueryRow(ctx, `select head_seq from room_heads where room_id = $1`, room).Scan(&head)
	return uint64(head)
}

// waitFollowed waits until tile-delta-go has looked at every event of the room (tile_follow), so that
// every snapshot its commits called for is made.
func waitFollowed(t *testing.T, pool *pgxpool.Pool, room uuid.UUID) {
	t.Helper()
	waitFollowedWithin(t, pool, room, 30*time.Second)
}

// waitFollowedWithin is waitFollowed with its own limit.
func waitFollowedWithin(t *testing.T, pool *pgxpool.Pool, room uuid.UUID, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var behind bool
		if err := pool.QueryRow(context.Background(), `select coalesce((select head_seq from room_heads where room_id = $1), 0) >
			coalesce((select followed_seq from tile_follow where room_id = $1), 0)`, room).Scan(&behind); err != nil {
			t.Fatal(err)
		}
		if !behind {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room %s: tile-delta-go did not follow its events up to the head in %s", room, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func counter(t *testing.T, addr, series string) string {
	t.Helper()
	for _, l := range strings.Split(localtest.Metrics(t, addr), "\n") {
		if strings.HasPrefix(l, series+" ") {
			return strings.TrimPrefix(l, series+" ")
		}
	}
	return "0"
}

// A tile gets a snapshot once its delta reaches the threshold; the delta then holds only the strokes
// after it; the next snapshot is incremental; an erase makes the snapshot unusable at once (the erased
// stroke never shows again) and the next snapshot is a full render without it.
func TestSnapshotLifecycle(t *testing.T) {
	s := startStack(t, "TILE_DELTA_SNAPSHOT_STROKES=3")
	pool := testPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()
	ingest := func(ss ...*strokev1.Stroke) {
		t.Helper()
		if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(), Strokes: ss}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *tilev1.TileDelta {
		t.Helper()
		got, err := s.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: 0,
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 25600, MaxY: 25600}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.GetTiles()) != 1 {
			t.Fatalf("want tile (0, 0) only, got %d tiles", len(got.GetTiles()))
		}
		return got.GetTiles()[0]
	}
	waitSnapshot := func(covers uint64) *tilev1.TileDelta {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			d := read()
			if d.GetSnapshot().GetCoversSeq() == covers {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("no snapshot covering %d; last read: snapshot %v, %d strokes", covers, d.GetSnapshot(), len(d.GetStrokes()))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pixels := func(key string) image.Image {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(s.objects, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		return decodePNG(t, b)
	}
	ink := func(img image.Image, y int) bool {
		_, _, bl, a := img.At(128, y).RGBA()
		return a > 0xf000 && bl > 0xf000
	}
	rows := []*strokev1.Stroke{line(10, 40, 246, 40, 8), line(10, 128, 246, 128, 8), line(10, 200, 246, 200, 8)}

	// Commits drive snapshots, at every level the strokes touch: tile (0, 0) of each.
	levels := fmt.Sprint(strokes.MaxLevel + 1)
	ingest(rows[:2]...)
	waitFollowed(t, pool, room)
	if d := read(); d.GetSnapshot() != nil || len(d.GetStrokes()) != 2 {
		t.Fatalf("below the threshold: snapshot %v, %d strokes", d.GetSnapshot(), len(d.GetStrokes()))
	}
	ingest(rows[2])
	d := waitSnapshot(3)
	if len(d.GetStrokes()) != 0 || d.GetSnapshot().GetKey() != "rooms/"+room.String()+"/0/0_0/3.png" || d.GetSnapshot().GetSizeBytes() == 0 {
		t.Fatalf("first snapshot: %v with %d strokes", d.GetSnapshot(), len(d.GetStrokes()))
	}
	waitFollowed(t, pool, room)
	if got := counter(t, s.tileHTTP, `tile_delta_snapshots_total{kind="full"}`); got != levels {
		t.Fatalf("full snapshots %s, want %s", got, levels)
	}

	// The delta shrinks to the strokes after the snapshot.
	ingest(line(10, 90, 246, 90, 8))
	if d := read(); d.GetSnapshot().GetCoversSeq() != 3 || len(d.GetStrokes()) != 1 || d.GetCoversSeq() != 4 {
		t.Fatalf("after one more stroke: snapshot %v, %d strokes, covers %d", d.GetSnapshot(), len(d.GetStrokes()), d.GetCoversSeq())
	}
	// Two more reach the threshold again: only strokes were added, so the snapshot is incremental.
	ingest(line(10, 160, 246, 160, 8), line(10, 230, 246, 230, 8))
	d = waitSnapshot(6)
	waitFollowed(t, pool, room)
	if got := counter(t, s.tileHTTP, `tile_delta_snapshots_total{kind="incremental"}`); got != levels {
		t.Fatalf("incremental snapshots %s, want %s", got, levels)
	}
	img := pixels(d.GetSnapshot().GetKey())
	for _, y := range []int{40, 90, 128, 160, 200, 230} {
		if !ink(img, y) {
			t.Fatalf("incremental snapshot lacks the stroke at y=%d", y)
		}
	}

	// Erase the stroke at y=128: the snapshot that shows it is no longer usable.
	head := eraseStroke(t, pool, room, rows[1].GetId())
	d = read()
	if d.GetSnapshot().GetCoversSeq() == 6 {
		t.Fatal("a snapshot older than an erase was returned")
	}
	if d.GetSnapshot() == nil && len(d.GetStrokes()) != 5 {
		t.Fatalf("after the erase: %d strokes, want the 5 visible", len(d.GetStrokes()))
	}
	for _, st := range d.GetStrokes() {
		if string(st.GetId()) == string(rows[1].GetId()) {
			t.Fatal("the erased stroke is still returned")
		}
	}
	d = waitSnapshot(head)
	if len(d.GetStrokes()) != 0 {
		t.Fatalf("after the full snapshot: %d strokes", len(d.GetStrokes()))
	}
	waitFollowed(t, pool, room)
	if got := counter(t, s.tileHTTP, `tile_delta_snapshots_total{kind="full"}`); got != fmt.Sprint(2*(strokes.MaxLevel+1)) {
		t.Fatalf("full snapshots %s, want %d (the erase forces a full render of every level)", got, 2*(strokes.MaxLevel+1))
	}
	img = pixels(d.GetSnapshot().GetKey())
	if _, _, _, a := img.At(128, 128).RGBA(); a != 0 {
		t.Fatalf("the erased stroke is still in the new snapshot (alpha %x)", a)
	}
	for _, y := range []int{40, 90, 160, 200, 230} {
		if !ink(img, y) {
			t.Fatalf("full snapshot lacks the stroke at y=%d", y)
		}
	}
	// The older objects are still there: keys are immutable.
	pixels("rooms/" + room.String() + "/0/0_0/3.png")
}

// The snapshot queries seek the primary keys of tile_snapshots and tile_events, even with enough rows
// that a table scan would be the wrong plan.
func TestSnapshotQueriesUseIndexes(t *testing.T) {
	db, room := planRows(t)
	xs, ys := []int32{0, 1, 2, 3}, []int32{0, 1, 2, 3}
	client := int64(5)
	added, erased := eventkind.StrokeAdded, eventkind.StrokesErased
	var now []*int64 // visibility now
	changed := []*int64{new(int64(0)), new(int64(4)), new(int64(300)), new(int64(100))}
	tests := map[string]struct {
		sql     string
		args    []any
		indexes []string
	}{
		"snapshots, viewport":   {tiles.SnapshotsSQL, []any{room, 0, xs, ys, nil, added, int64(1000), false}, []string{"tile_snapshots_pkey", "tile_events_pkey"}},
		"snapshots, known":      {tiles.SnapshotsSQL, []any{room, 0, xs, ys, &client, added, int64(1000), false}, []string{"tile_snapshots_pkey", "tile_events_pkey"}},
		"snapshots, past":       {tiles.SnapshotsSQL, []any{room, 0, xs, ys, nil, added, int64(200), true}, []string{"tile_snapshots_pkey", "tile_events_pkey"}},
		"strokes after":         {tiles.StrokesSQL, []any{room, 0, xs, ys, []int64{0, 3, 5, 100}, nil, added, int64(1000), erased, now}, []string{"tile_events_pkey", "strokes_pkey"}},
		"strokes, bounded":      {tiles.StrokesSQL, []any{room, 0, xs, ys, []int64{0, 3, 5, 100}, int64(257), added, int64(1000), erased, now}, []string{"tile_events_pkey", "strokes_pkey"}},
		"strokes, past":         {tiles.StrokesSQL, []any{room, 0, xs, ys, []int64{0, 3, 5, 100}, int64(257), added, int64(300), erased, changed}, []string{"tile_events_pkey"}},
		"last erase or restore": {tiles.LastChangeSQL, []any{room, 0, 1, 2, int64(0), int64(300), added}, []string{"tile_events_pkey"}},
		"collect superseded":    {snapshots.CollectSQL, []any{room, 0, 1, 2, "10 minutes", int64(0)}, []string{"tile_snapshots_pkey"}},
		"collect, checkpoints":  {snapshots.CollectSQL, []any{room, 0, 1, 2, "10 minutes", int64(2048)}, []string{"tile_snapshots_pkey"}},
		"record a snapshot":     {snapshots.InsertSQL, []any{room, 0, 1, 2, int64(7), "k", 1, false, added}, []string{"stroke_events_pkey"}},
		"record a checkpoint": {snapshots.InsertSQL, []any{room, 0, 1, 2, int64(7), "k", 1, true, added},
			[]string{"stroke_events_pkey", "tile_snapshots_pkey", "tile_events_pkey"}},
		"follower: tiles that need a snapshot": {snapshots.NeedsSQL, []any{room, 0, xs, ys, added, 64},
			[]string{"tile_snapshots_pkey", "tile_events_pkey", "stroke_events_pkey"}},
		"follower: a page of events":      {snapshots.PageSQL, []any{room, 10, 1000}, []string{"stroke_events_pkey"}},
		"follower: erased strokes' tiles": {snapshots.AddedPayloadsSQL, []any{room, []uuid.UUID{uuid.New(), uuid.New()}}, []string{"strokes_pkey", "stroke_events_pkey"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkPlan(t, db, tc.sql, tc.args, tc.indexes...)
		})
	}
}
