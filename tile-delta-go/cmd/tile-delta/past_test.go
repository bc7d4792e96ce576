package main

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
)

// pastRoom is a room whose tile (0, 0, 0) holds, on a read replica with a delta bound of 2: 1 a (y=40),
// 2 b (y=90), 3 c (y=140), 4 erase a, 5 d (y=200).
type pastRoom struct {
	s     *stack
	room  uuid.UUID
	names map[string]string // stroke names by id
}

func newPastRoom(t *testing.T, ctx context.Context) *pastRoom {
	t.Helper()
	// A read replica follows no room, so only reads of the past make snapshots here.
	s := startStack(t, "TILE_DELTA_MAX_DELTA_STROKES=2", "TILE_DELTA_FOLLOW_ROOMS=0")
	pool := testPool(t)
	p := &pastRoom{s: s, room: uuid.New(), names: map[string]string{}}
	ingest := func(name string, y int64) *strokev1.Stroke {
		t.Helper()
		st := line(10, y, 246, y, 8)
		p.names[string(st.GetId())] = name
		if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: p.room.String(), AuthorId: uuid.NewString(),
			Strokes: []*strokev1.Stroke{st}}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := ingest("a", 40)
	ingest("b", 90)
	ingest("c", 140)
	eraseStroke(t, pool, p.room, a.GetId())
	ingest("d", 200)
	return p
}

// read reads tile (0, 0, 0) at a point, by viewport or, with known, from a copy the client holds.
func (p *pastRoom) read(t *testing.T, ctx context.Context, at uint64, known *tilev1.KnownTile) (*tilev1.GetTilesResponse, *tilev1.TileDelta) {
	t.Helper()
	req := &tilev1.GetTilesRequest{RoomId: p.room.String(), Level: 0, AtSeq: at,
		Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: 0, MinY: 0, MaxX: 25600, MaxY: 25600}}}
	if known != nil {
		req.Selection = &tilev1.GetTilesRequest_Known{Known: &tilev1.KnownTiles{Tiles: []*tilev1.KnownTile{known}}}
	}
	resp, err := p.s.tiles.GetTiles(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetTiles()) > 1 {
		t.Fatalf("want tile (0, 0) at most, got %d tiles", len(resp.GetTiles()))
	}
	if len(resp.GetTiles()) == 0 {
		return resp, nil
	}
	return resp, resp.GetTiles()[0]
}

func (p *pastRoom) strokes(d *tilev1.TileDelta) string {
	var out []string
	for _, s := range d.GetStrokes() {
		out = append(out, p.names[string(s.GetId())])
	}
	return fmt.Sprint(out)
}

// inkAt reports opaque blue ink in the middle of row y of a picture.
func inkAt(img image.Image, y int) bool {
	_, _, b, a := img.At(128, y).RGBA()
	return a > 0xf000 && b > 0xf000
}

// GetTiles at_seq reads the room as it was right after that event: the strokes visible then (a erased at
// 4 shows at 3, not at 4), answering at_seq min(at_seq, head). A past tile over the delta bound is
// pending until the replica that read it has rendered it at that point (even one that follows no room);
// the snapshot then shows the erased stroke, and a read of now never uses it once an erase followed it.
// A known copy is built on when it covers no event after the point, else replaced.
func TestGetTilesAtSeq(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := newPastRoom(t, ctx)

	tests := []struct {
		name            string
		at              uint64
		known           *tilev1.KnownTile
		atSeq, covers   uint64
		strokes         string
		pending, absent bool
	}{
		{name: "at 2", at: 2, atSeq: 2, covers: 2, strokes: "[a b]"},
		{name: "at 4: a erased", at: 4, atSeq: 4, covers: 4, strokes: "[b c]"},
		{name: "now: over the bound, never rendered here", at: 0, atSeq: 5, strokes: "[]", pending: true},
		{name: "beyond the head: now", at: 100, atSeq: 5, strokes: "[]", pending: true},
		{name: "known at 1, read at 2", at: 2, known: knownTile(1), atSeq: 2, covers: 2, strokes: "[b]"},
		{name: "known at 2, read at 4: a erased in between", at: 4, known: knownTile(2), atSeq: 4, covers: 4, strokes: "[b c]"},
		{name: "known at 5, read at 2: a later copy is replaced", at: 2, known: knownTile(5), atSeq: 2, covers: 2, strokes: "[a b]"},
		{name: "known at 4, read at 4: nothing changed", at: 4, known: knownTile(4), atSeq: 4, absent: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, d := p.read(t, ctx, tc.at, tc.known)
			if resp.GetAtSeq() != tc.atSeq || resp.GetHeadSeq() != 5 {
				t.Fatalf("at_seq %d head_seq %d, want %d and 5", resp.GetAtSeq(), resp.GetHeadSeq(), tc.atSeq)
			}
			if tc.absent {
				if d != nil {
					t.Fatalf("tile answered: %v", d)
				}
				return
			}
			if d.GetPending() != tc.pending || p.strokes(d) != tc.strokes || d.GetCoversSeq() != tc.covers || d.GetSnapshot() != nil {
				t.Fatalf("pending %v strokes %s covers %d snapshot %v; want pending %v strokes %s covers %d",
					d.GetPending(), p.strokes(d), d.GetCoversSeq(), d.GetSnapshot(), tc.pending, tc.strokes, tc.covers)
			}
		})
	}

	// At 3: a b c, over the bound: pending, then a snapshot covering 3 that shows a.
	if _, d := p.read(t, ctx, 3, nil); !d.GetPending() || d.GetSnapshot() != nil || len(d.GetStrokes()) != 0 {
		t.Fatalf("at 3: pending %v snapshot %v, %d strokes; want pending", d.GetPending(), d.GetSnapshot(), len(d.GetStrokes()))
	}
	deadline := time.Now().Add(30 * time.Second)
	var d *tilev1.TileDelta
	for {
		if _, d = p.read(t, ctx, 3, nil); !d.GetPending() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tile (0, 0) at 3 still pending after 30 s: its past snapshot was not rendered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.GetSnapshot().GetCoversSeq() != 3 || len(d.GetStrokes()) != 0 || d.GetCoversSeq() != 3 {
		t.Fatalf("at 3 after the render: snapshot %v, %d strokes, covers %d", d.GetSnapshot(), len(d.GetStrokes()), d.GetCoversSeq())
	}
	snap, err := p.s.tiles.GetSnapshot(ctx, &tilev1.GetSnapshotRequest{RoomId: p.room.String(), Coord: &tilev1.TileCoord{}, CoversSeq: 3})
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, snap.GetPng())
	for y, want := range map[int]bool{40: true, 90: true, 140: true, 200: false} {
		if inkAt(img, y) != want {
			t.Errorf("snapshot at 3: ink at y=%d %v, want %v", y, !want, want)
		}
	}
	// Now, the snapshot covering 3 is the newest, but a's erase at 4 followed it: not used.
	if _, d := p.read(t, ctx, 0, nil); d.GetSnapshot() != nil || !d.GetPending() {
		t.Fatalf("now: snapshot %v pending %v; want no snapshot, pending", d.GetSnapshot(), d.GetPending())
	}
}

func knownTile(covers uint64) *tilev1.KnownTile {
	return &tilev1.KnownTile{Coord: &tilev1.TileCoord{}, CoversSeq: covers}
}

// ExportRegion at_seq pictures the room as it was then: a stroke erased since shows, and covers_seq is
// the point; now it is gone.
func TestExportRegionAtSeq(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := newPastRoom(t, ctx)
	tests := []struct {
		at, covers uint64
		ink        map[int]bool // by row y
	}{
		{3, 3, map[int]bool{40: true, 90: true, 140: true, 200: false}},
		{0, 5, map[int]bool{40: false, 90: true, 140: true, 200: true}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("at %d", tc.at), func(t *testing.T) {
			r, err := p.s.tiles.ExportRegion(ctx, &tilev1.ExportRegionRequest{RoomId: p.room.String(), AtSeq: tc.at,
				Viewport: &tilev1.Viewport{MaxX: 25600, MaxY: 25600}, WidthPx: 256, HeightPx: 256})
			if err != nil {
				t.Fatal(err)
			}
			if r.GetCoversSeq() != tc.covers {
				t.Fatalf("covers_seq %d, want %d", r.GetCoversSeq(), tc.covers)
			}
			img := decodePNG(t, r.GetPng())
			for y, want := range tc.ink {
				if inkAt(img, y) != want {
					t.Errorf("ink at y=%d %v, want %v", y, !want, want)
				}
			}
		})
	}
}
