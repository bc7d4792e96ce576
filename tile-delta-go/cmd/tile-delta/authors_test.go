package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// ViewAuthors lists the authors of the events touching the view's tiles in the window around the point,
// each event once, most events first; events outside the window or the view are not counted.
func TestViewAuthors(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()
	ann, bob := uuid.New(), uuid.New()
	ingest := func(author uuid.UUID, ss ...*strokev1.Stroke) {
		t.Helper()
		if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author.String(), Strokes: ss}); err != nil {
			t.Fatal(err)
		}
	}
	// seq 1-3: Ann in tile (0, 0), the third across into (1, 0); 4-5: Bob in (0, 0); 6: Ann far away.
	ingest(ann, line(20, 20, 90, 20, 4), line(20, 40, 90, 40, 4), line(200, 60, 300, 60, 4))
	ingest(bob, line(20, 80, 90, 80, 4), line(20, 100, 90, 100, 4))
	ingest(ann, line(-90_000, -90_000, -89_900, -89_900, 4))

	names := map[string]string{string(ann[:]): "ann", string(bob[:]): "bob"}
	view := func(minX, minY, maxX, maxY int64) *tilev1.Viewport {
		return &tilev1.Viewport{MinX: minX * 100, MinY: minY * 100, MaxX: maxX * 100, MaxY: maxY * 100}
	}
	near, both := view(0, 0, 256, 256), view(0, 0, 512, 256)
	tests := []struct {
		name     string
		viewport *tilev1.Viewport
		level    uint32
		at       uint64
		span     uint32
		want     string // name:events:lastSeq, in order
	}{
		{"everyone in the view", near, 0, 5, 10, "ann:3:3 bob:2:5"},
		{"an event across two tiles counts once", both, 0, 5, 10, "ann:3:3 bob:2:5"},
		{"the window after the point", near, 0, 2, 1, "ann:2:3"},
		{"the window around a later point", near, 0, 5, 1, "bob:1:5"},
		{"before the first event", near, 0, 0, 1, "ann:1:1"},
		{"after the head", near, 0, 100, 10, ""},
		{"the view leaves out the far stroke; a coarse level takes it in", view(-100_000, -100_000, 1000, 1000), 9, 6, 10, "ann:4:6 bob:2:5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.tiles.ViewAuthors(ctx, &tilev1.ViewAuthorsRequest{RoomId: room.String(), Level: tc.level, Viewport: tc.viewport, AtSeq: tc.at, Span: tc.span})
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, a := range got.GetAuthors() {
				parts = append(parts, fmt.Sprintf("%s:%d:%d", names[string(a.GetAuthorId())], a.GetEvents(), a.GetLastSeq()))
			}
			if g := strings.Join(parts, " "); g != tc.want || got.GetPartial() {
				t.Fatalf("got %q (partial %v), want %q", g, got.GetPartial(), tc.want)
			}
		})
	}

	bad := []struct {
		name string
		req  *tilev1.ViewAuthorsRequest
	}{
		{"no span", &tilev1.ViewAuthorsRequest{RoomId: room.String(), Viewport: near, AtSeq: 1}},
		{"too wide a span", &tilev1.ViewAuthorsRequest{RoomId: room.String(), Viewport: near, AtSeq: 1, Span: tiles.MaxAuthorsSpan + 1}},
		{"no viewport", &tilev1.ViewAuthorsRequest{RoomId: room.String(), AtSeq: 1, Span: 1}},
		{"more than 256 tiles", &tilev1.ViewAuthorsRequest{RoomId: room.String(), Viewport: view(0, 0, 256*17, 256*17), AtSeq: 1, Span: 1}},
		{"a bad room", &tilev1.ViewAuthorsRequest{RoomId: "nope", Viewport: near, AtSeq: 1, Span: 1}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.tiles.ViewAuthors(ctx, tc.req); status.Code(err) != codes.InvalidArgument {
				t.Fatalf("got %v, want InvalidArgument", err)
			}
		})
	}

	// A tile with more entries in the window than the scan bound counts only its newest ones and says so.
	var author uuid.UUID
	var events, last int64
	var partial bool
	err := testPool(t).QueryRow(ctx, tiles.AuthorsSQL, room, 0, []int32{0}, []int32{0}, 0, 10, 2).Scan(&author, &events, &last, &partial)
	if err != nil || author != bob || events != 2 || last != 5 || !partial {
		t.Fatalf("bounded scan: %v %v %d %d %v, want bob 2 5 partial", err, author, events, last, partial)
	}
}

// AuthorsSQL seeks the tile_events and stroke_events primary keys, even with enough rows that a table scan
// would be the wrong plan.
func TestViewAuthorsQueryUsesIndexes(t *testing.T) {
	db, room := planRows(t)
	xs, ys := make([]int32, 0, 256), make([]int32, 0, 256)
	for i := range 256 {
		xs, ys = append(xs, int32(i%16)), append(ys, int32(i/16))
	}
	for name, args := range map[string][]any{
		"one tile":  {room, 0, []int32{3}, []int32{4}, 0, 400, tiles.AuthorsScanPerTile},
		"256 tiles": {room, 0, xs, ys, 100, 300, tiles.AuthorsScanPerTile},
	} {
		t.Run(name, func(t *testing.T) {
			checkPlan(t, db, tiles.AuthorsSQL, args, "tile_events_pkey", "stroke_events_pkey")
		})
	}
}
