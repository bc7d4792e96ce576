package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// A region around a known stroke exports as a PNG of the requested size that shows the stroke where
// it lies and nothing far from it, at a fine and at a coarse level; bad requests are InvalidArgument.
func TestExportRegion(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.NewString()
	// A horizontal blue line across tile (0, 0, 0) at y = 128, and one far away in a negative tile.
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room, AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{line(20, 128, 236, 128, 16), line(-900, -700, -600, -700, 40)}}); err != nil {
		t.Fatal(err)
	}
	type px struct{ x, y int }
	tests := map[string]struct {
		vp            *tilev1.Viewport
		width, height uint32
		level, tiles  uint32
		ink, blank    []px
	}{
		// 256 world units over 512 pixels: level 0 magnified twice; the line is at y = 256.
		"level 0, magnified": {vp: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 25600, MaxY: 25600}, width: 512, height: 512,
			level: 0, tiles: 1, ink: []px{{256, 256}, {100, 256}, {450, 257}}, blank: []px{{256, 60}, {10, 256}, {500, 500}}},
		// A region across four tiles, not aligned to them, 1:1.
		"level 0, four tiles": {vp: &tilev1.Viewport{MinX: -10000, MinY: 5000, MaxX: 20000, MaxY: 20000}, width: 300, height: 150,
			level: 0, tiles: 1, ink: []px{{200, 78}, {250, 78}}, blank: []px{{50, 78}, {200, 20}}},
		// 2048 world units over 256 pixels: level 3; both lines show.
		"level 3": {vp: &tilev1.Viewport{MinX: -102400, MinY: -102400, MaxX: 102400, MaxY: 102400}, width: 256, height: 256,
			level: 3, tiles: 2, ink: []px{{144, 144}, {40, 40}}, blank: []px{{144, 200}, {20, 20}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := s.tiles.ExportRegion(ctx, &tilev1.ExportRegionRequest{RoomId: room, Viewport: tc.vp, WidthPx: tc.width, HeightPx: tc.height})
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(r.GetPng()))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != int(tc.width) || b.Dy() != int(tc.height) {
				t.Fatalf("picture is %v, want %dx%d", b, tc.width, tc.height)
			}
			if r.GetLevel() != tc.level || r.GetTiles() != tc.tiles || r.GetCoversSeq() != 2 {
				t.Fatalf("level %d tiles %d covers %d, want level %d tiles %d covers 2", r.GetLevel(), r.GetTiles(), r.GetCoversSeq(), tc.level, tc.tiles)
			}
			for _, p := range tc.ink {
				if _, _, b, a := img.At(p.x, p.y).RGBA(); a < 0x8000 || b < 0x8000 {
					t.Errorf("no blue ink at %v: b=%x a=%x", p, b, a)
				}
			}
			for _, p := range tc.blank {
				if _, _, _, a := img.At(p.x, p.y).RGBA(); a != 0 {
					t.Errorf("pixel %v far from the strokes is not transparent: a=%x", p, a)
				}
			}
		})
	}

	bad := map[string]*tilev1.ExportRegionRequest{
		"room not a uuid": {RoomId: "x", Viewport: &tilev1.Viewport{MaxX: 1, MaxY: 1}, WidthPx: 1, HeightPx: 1},
		"no viewport":     {RoomId: room, WidthPx: 1, HeightPx: 1},
		"empty region":    {RoomId: room, Viewport: &tilev1.Viewport{MaxX: 1}, WidthPx: 1, HeightPx: 1},
		"zero width":      {RoomId: room, Viewport: &tilev1.Viewport{MaxX: 1, MaxY: 1}, HeightPx: 1},
		"too wide":        {RoomId: room, Viewport: &tilev1.Viewport{MaxX: 1, MaxY: 1}, WidthPx: 4097, HeightPx: 1},
		"too many tiles":  {RoomId: room, Viewport: &tilev1.Viewport{MaxX: 100 * 256 * 4096, MaxY: 100}, WidthPx: 4096, HeightPx: 1},
		"outside":         {RoomId: room, Viewport: &tilev1.Viewport{MinX: -4e9, MaxX: 1, MaxY: 1}, WidthPx: 1, HeightPx: 1},
	}
	for name, req := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := s.tiles.ExportRegion(ctx, req); grpcCode(err) != "InvalidArgument" {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}
}

// Exports share a pixel budget: while a largest export runs (held here by a lock on the tables it
// reads), another export finds the budget used up and is answered ResourceExhausted with a
// retry-after trailer at once; once the first completes the second goes through.
func TestExportPixelBudget(t *testing.T) {
	// A read replica (it follows no room): the only query that waits for the lock is the export's.
	s := startStack(t, fmt.Sprintf("TILE_DELTA_EXPORT_PIXEL_BUDGET=%d", strokes.ExportMaxPixels), "TILE_DELTA_FOLLOW_ROOMS=0")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	room := uuid.NewString()
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room, AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{line(20, 128, 236, 128, 16)}}); err != nil {
		t.Fatal(err)
	}
	pool := testPool(t)
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(context.Background()) }()
	if _, err := lock.Exec(ctx, `lock table tile_snapshots, tile_events, room_heads in access exclusive mode`); err != nil {
		t.Fatal(err)
	}

	tile := &tilev1.Viewport{MaxX: 25600, MaxY: 25600}
	largest := make(chan error, 1)
	go func() {
		_, err := s.tiles.ExportRegion(ctx, &tilev1.ExportRegionRequest{RoomId: room, Viewport: tile, WidthPx: 4096, HeightPx: 4096})
		largest <- err
	}()
	// The largest export holds the whole budget once it waits for the lock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the largest export never reached the tables")
		}
		time.Sleep(10 * time.Millisecond)
	}

	small := &tilev1.ExportRegionRequest{RoomId: room, Viewport: tile, WidthPx: 256, HeightPx: 256}
	var trailer metadata.MD
	_, err = s.tiles.ExportRegion(ctx, small, grpc.Trailer(&trailer))
	if grpcCode(err) != "ResourceExhausted" {
		t.Fatalf("second export: err = %v, want ResourceExhausted", err)
	}
	if got := trailer.Get("retry-after"); len(got) != 1 || got[0] != "2" {
		t.Fatalf("retry-after trailer %q, want [2]", got)
	}

	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-largest; err != nil {
		t.Fatalf("the largest export: %v", err)
	}
	if _, err := s.tiles.ExportRegion(ctx, small); err != nil {
		t.Fatalf("after the largest export finished: %v", err)
	}
}
