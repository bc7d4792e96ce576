package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// An erased stroke is gone from every level: no read at any level returns it, and the next snapshot of a
// coarse tile that showed it no longer does.
func TestEraseIsHonouredAtEveryLevel(t *testing.T) {
	s := startStack(t, "TILE_DELTA_SNAPSHOT_STROKES=3")
	pool := testPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	room := uuid.New()
	// Three thick horizontal strokes in tile (0, 0) of level 4 (4096 world units a side): at 1/16 scale
	// they are 4 px wide at pixel rows 25, 128 and 231.
	rows := []*strokev1.Stroke{line(100, 400, 4000, 400, 64), line(100, 2048, 4000, 2048, 64), line(100, 3700, 4000, 3700, 64)}
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(), Strokes: rows}); err != nil {
		t.Fatal(err)
	}
	const level = 4
	span := strokes.SpanQ(level)
	read := func(l int) *tilev1.GetTilesResponse {
		t.Helper()
		got, err := s.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: uint32(l),
			Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: min(span, strokes.SpanQ(l)), MaxY: min(span, strokes.SpanQ(l))}}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	waitSnapshot := func(covers uint64) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := read(level)
			for _, d := range got.GetTiles() {
				if d.GetCoord().GetX() == 0 && d.GetCoord().GetY() == 0 && d.GetSnapshot().GetCoversSeq() >= covers && !d.GetPending() {
					return d.GetSnapshot().GetKey()
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no level-%d snapshot covering %d", level, covers)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	alphaAt := func(key string, y int) uint32 {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(s.objects, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, a := decodePNG(t, b).At(128, y).RGBA()
		return a
	}

	before := waitSnapshot(3)
	for _, y := range []int{25, 128, 231} {
		if alphaAt(before, y) == 0 {
			t.Fatalf("level-%d snapshot lacks the stroke at pixel row %d", level, y)
		}
	}

	head := eraseStroke(t, pool, room, rows[1].GetId())
	// No level returns the erased stroke, nor a snapshot older than the erase.
	for l := 0; l <= strokes.MaxLevel; l++ {
		for _, d := range read(l).GetTiles() {
			if d.GetSnapshot() != nil && d.GetSnapshot().GetCoversSeq() < head {
				t.Fatalf("level %d: tile %v served a snapshot older than the erase", l, d.GetCoord())
			}
			for _, st := range d.GetStrokes() {
				if string(st.GetId()) == string(rows[1].GetId()) {
					t.Fatalf("level %d: tile %v still returns the erased stroke", l, d.GetCoord())
				}
			}
		}
	}
	after := waitSnapshot(head)
	if a := alphaAt(after, 128); a != 0 {
		t.Fatalf("the level-%d snapshot after the erase still shows the stroke (alpha %x)", level, a)
	}
	for _, y := range []int{25, 231} {
		if alphaAt(after, y) == 0 {
			t.Fatalf("the level-%d snapshot after the erase lost the stroke at pixel row %d", level, y)
		}
	}
}
