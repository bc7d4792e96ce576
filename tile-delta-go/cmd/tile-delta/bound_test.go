package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
)

// A tile with more strokes than the delta bound since its newest usable snapshot is answered pending,
// without strokes, and its snapshot is queued (here the snapshot threshold alone would never queue it);
// a tile under the bound still comes with its strokes. Once the snapshot exists the tile is read from
// it. An erase makes the snapshot unusable: the tile, over the bound without it, is pending again
// (never the old snapshot, never the erased stroke) until the next snapshot.
func TestDeltaBoundMakesTilesPending(t *testing.T) {
	const bound = 5
	s := startStack(t, "TILE_DELTA_MAX_DELTA_STROKES=5", "TILE_DELTA_SNAPSHOT_STROKES=1000")
	pool := testPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()
	var small, big []*strokev1.Stroke
	for i := range 3 {
		small = append(small, line(10, int64(20+60*i), 246, int64(20+60*i), 4)) // tile (0, 0)
	}
	for i := range bound + 3 {
		big = append(big, line(266, int64(10+30*i), 502, int64(10+30*i), 4)) // tile (1, 0)
	}
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
		Strokes: append(append([]*strokev1.Stroke{}, small...), big...)}); err != nil {
		t.Fatal(err)
	}
	read := func() (under, over *tilev1.TileDelta, head uint64) {
		t.Helper()
		got, err := s.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: 0,
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 51200, MaxY: 25600}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range got.GetTiles() {
			switch d.GetCoord().GetX() {
			case 0:
				under = d
			case 1:
				over = d
			}
		}
		if under == nil || over == nil {
			t.Fatalf("want tiles (0, 0) and (1, 0), got %v", got.GetTiles())
		}
		return under, over, got.GetHeadSeq()
	}
	// waitServed polls (bounded) until tile (1, 0) is no longer pending.
	waitServed := func() *tilev1.TileDelta {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, over, _ := read()
			if !over.GetPending() {
				return over
			}
			if time.Now().After(deadline) {
				t.Fatal("tile (1, 0) still pending after 30 s: its snapshot was not rendered")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	under, over, head := read()
	if under.GetPending() || len(under.GetStrokes()) != len(small) || under.GetCoversSeq() != head {
		t.Fatalf("tile under the bound: pending %v, %d strokes (want %d), covers %d (head %d)", under.GetPending(), len(under.GetStrokes()), len(small), under.GetCoversSeq(), head)
	}
	if !over.GetPending() || len(over.GetStrokes()) != 0 || over.GetSnapshot() != nil || over.GetCoversSeq() != 0 {
		t.Fatalf("tile over the bound: pending %v, %d strokes, snapshot %v, covers %d", over.GetPending(), len(over.GetStrokes()), over.GetSnapshot(), over.GetCoversSeq())
	}
	d := waitServed()
	if d.GetSnapshot().GetCoversSeq() != head || len(d.GetStrokes()) != 0 {
		t.Fatalf("after the snapshot: %v with %d strokes (head %d)", d.GetSnapshot(), len(d.GetStrokes()), head)
	}

	// The erase rule: the snapshot is older than the erase, so it is not served; the 7 visible strokes
	// are over the bound, so the tile is pending, with neither the snapshot nor strokes.
	eraseStroke(t, pool, room, big[0].GetId())
	if _, over, _ := read(); !over.GetPending() || over.GetSnapshot() != nil || len(over.GetStrokes()) != 0 {
		t.Fatalf("after an erase: pending %v, snapshot %v, %d strokes", over.GetPending(), over.GetSnapshot(), len(over.GetStrokes()))
	}
	d = waitServed()
	if _, _, head = read(); d.GetSnapshot().GetCoversSeq() != head || len(d.GetStrokes()) != 0 {
		t.Fatalf("after the re-render: %v with %d strokes (head %d)", d.GetSnapshot(), len(d.GetStrokes()), head)
	}
}
