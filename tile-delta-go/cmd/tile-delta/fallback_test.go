package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if s := img.Bounds().Size(); s.X != 256 || s.Y != 256 {
		t.Fatalf("tile is %v", s)
	}
	return img
}

// RenderTile survives snapshot-rs dying: gg draws the tile while the breaker is open, and snapshot-rs
// draws again once it is back and a half-open probe succeeds.
func TestRenderTileFallsBackToGGAndRecovers(t *testing.T) {
	s := startStack(t, "SNAPSHOT_BREAKER_FAILURES=2", "SNAPSHOT_BREAKER_COOLDOWN=50ms", "SNAPSHOT_TIMEOUT=2s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{line(20, 128, 236, 128, 8)}}); err != nil {
		t.Fatal(err)
	}
	req := &tilev1.RenderTileRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{}}
	render := func() *tilev1.RenderTileResponse {
		t.Helper()
		r, err := s.tiles.RenderTile(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, r.GetPng())
		if _, _, bl, a := img.At(128, 128).RGBA(); a < 0xf000 || bl < 0xf000 {
			t.Fatalf("%s: pixel on the stroke is not opaque blue: a=%x b=%x", r.GetRenderer(), a, bl)
		}
		if _, _, _, a := img.At(128, 40).RGBA(); a != 0 {
			t.Fatalf("%s: pixel far from the stroke is not transparent", r.GetRenderer())
		}
		return r
	}
	if r := render(); r.GetRenderer() != "snapshot-rs" {
		t.Fatalf("healthy: renderer %q", r.GetRenderer())
	}

	s.snapshotProc.kill()
	for i := 0; i < 5; i++ {
		if r := render(); r.GetRenderer() != "gg" || r.GetCoversSeq() != 1 {
			t.Fatalf("snapshot-rs killed, call %d: renderer %q covers %d", i, r.GetRenderer(), r.GetCoversSeq())
		}
	}
	if m := localtest.Metrics(t, s.tileHTTP); !strings.Contains(m, "tile_delta_render_breaker_state 1") && !strings.Contains(m, "tile_delta_render_breaker_state 2") {
		t.Fatalf("breaker not open in metrics:\n%s", grep(m, "tile_delta_"))
	} else if strings.Contains(m, "tile_delta_fallback_renders_total 0") {
		t.Fatalf("no fallback renders counted:\n%s", grep(m, "tile_delta_"))
	}

	s.snapshotProc.start()
	waitHealthy(t, s.snapshotHTTP)
	// Wait for the condition: a half-open probe reaches snapshot-rs again (after the 50 ms cool-down
	// and gRPC's reconnect), and from then on snapshot-rs draws.
	deadline := time.Now().Add(30 * time.Second)
	for render().GetRenderer() != "snapshot-rs" {
		if time.Now().After(deadline) {
			t.Fatal("the breaker never closed again after snapshot-rs came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := render(); r.GetRenderer() != "snapshot-rs" {
		t.Fatalf("after recovery: renderer %q", r.GetRenderer())
	}
	if m := localtest.Metrics(t, s.tileHTTP); !strings.Contains(m, "tile_delta_render_breaker_state 0") {
		t.Fatalf("breaker not closed in metrics:\n%s", grep(m, "tile_delta_"))
	}
}
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
