package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/eventkind"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/hittest"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// HitStrokes answers the visible strokes under a disk, topmost first, from the tile index: erased
// strokes are not returned, restored ones are, pixel erasers never; negative coordinates, tile borders
// and coarse levels for wide disks work; bad requests are InvalidArgument; the scan is bounded.
func TestHitStrokes(t *testing.T) {
	s := startStack(t)
	pool := testPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()

	a := line(20, 128, 236, 128, 8) // horizontal, tile (0, 0)
	b := line(100, 20, 100, 236, 4) // vertical, crosses a at (100, 128), drawn later: on top
	c := line(-300, -300, -200, -250, 6)
	c.Tool = strokev1.Tool_TOOL_HIGHLIGHTER
	eraser := line(150, 40, 200, 40, 20)
	eraser.Tool = strokev1.Tool_TOOL_PIXEL_ERASER
	erased := line(20, 200, 90, 200, 4)
	restored := line(20, 60, 90, 60, 4)
	border := line(200, 10, 300, 10, 4) // across the border of tiles (0, 0) and (1, 0)
	all := []*strokev1.Stroke{a, b, c, eraser, erased, restored, border}
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(), Strokes: all}); err != nil {
		t.Fatal(err)
	}
	eraseStroke(t, pool, room, erased.GetId())
	eraseStroke(t, pool, room, restored.GetId())
	restoreStroke(t, pool, room, restored.GetId())
	const head = 10 // 7 strokes, 2 erases, 1 restore

	name := map[string]string{}
	for n, st := range map[string]*strokev1.Stroke{"a": a, "b": b, "c": c, "eraser": eraser, "erased": erased, "restored": restored, "border": border} {
		name[string(st.GetId())] = n
	}
	// at is a disk in world units.
	at := func(x, y, r float64) *tilev1.HitStrokesRequest {
		return &tilev1.HitStrokesRequest{RoomId: room.String(), X: int64(x * 100), Y: int64(y * 100), Radius: uint32(r * 100)}
	}
	tests := []struct {
		name  string
		req   *tilev1.HitStrokesRequest
		want  []string
		level uint32
	}{
		{"a hit", at(50, 128, 2), []string{"a"}, 0},
		{"topmost first", at(100, 128, 2), []string{"b", "a"}, 0},
		{"the edge of the ink counts", at(50, 133, 1.5), []string{"a"}, 0},
		{"a miss", at(50, 100, 5), nil, 0},
		{"an erased stroke is not returned", at(50, 200, 2), nil, 0},
		{"a stroke restored by undo is returned", at(50, 60, 2), []string{"restored"}, 0},
		{"a pixel eraser is not a hit target", at(175, 40, 3), nil, 0},
		{"negative coordinates", at(-250, -275, 1), []string{"c"}, 0},
		{"negative coordinates, a miss", at(-250, -250, 1), nil, 0},
		{"on a tile border, once", at(256, 10, 2), []string{"border"}, 0},
		{"an empty place far away", at(-5_000_000, 7_000_000, 50), nil, 0},
		{"a wide disk reads a coarser level", at(128, 128, 1000), []string{"border", "restored", "c", "b", "a"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.tiles.HitStrokes(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, st := range got.GetStrokes() {
				names = append(names, name[string(st.GetId())])
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("strokes %v, want %v", names, tc.want)
			}
			if got.GetHeadSeq() != head || got.GetPartial() || got.GetLevel() != tc.level {
				t.Fatalf("head %d partial %v level %d, want %d false %d", got.GetHeadSeq(), got.GetPartial(), got.GetLevel(), head, tc.level)
			}
			for _, st := range got.GetStrokes() {
				if !proto.Equal(st, all[indexOf(all, st)]) {
					t.Fatalf("stroke %s came back changed", name[string(st.GetId())])
				}
			}
		})
	}

	bad := map[string]*tilev1.HitStrokesRequest{
		"room not a uuid":       {RoomId: "x", Radius: 100},
		"radius 0":              at(0, 0, 0),
		"radius too large":      {RoomId: room.String(), Radius: strokes.MaxHitRadius + 1},
		"x outside the world":   {RoomId: room.String(), X: 1_000_000_001, Radius: 100},
		"y outside the world":   {RoomId: room.String(), Y: -1_000_000_001, Radius: 100},
		"far outside the world": {RoomId: room.String(), X: 1 << 62, Radius: 100},
	}
	for n, req := range bad {
		t.Run("bad input: "+n, func(t *testing.T) {
			if _, err := s.tiles.HitStrokes(ctx, req); grpcCode(err) != "InvalidArgument" {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}
	if _, err := s.tiles.HitStrokes(ctx, &tilev1.HitStrokesRequest{RoomId: room.String(), Radius: strokes.MaxHitRadius}); err != nil {
		t.Fatalf("the largest radius: %v", err)
	}

	// The scan bound: tile (0, 0) holds 9 index entries, newest first: the restore (seq 10), two erases,
	// border, restored, erased, eraser, b, a. Reading only the newest 5 answers partial; the strokes among
	// them are tested, older ones (b, a) are not.
	t.Run("scan bound", func(t *testing.T) {
		bound := tiles.HitBound{ScanPerTile: 5, Strokes: 64}
		got, err := tiles.ReadHit(ctx, pool, room, hittest.Disk{X: 50 * 100, Y: 60 * 100, R: 200}, bound)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Partial || len(got.Strokes) != 1 || name[string(got.Strokes[0].GetId())] != "restored" || got.Scanned != 5 {
			t.Fatalf("partial %v scanned %d strokes %d", got.Partial, got.Scanned, len(got.Strokes))
		}
		got, err = tiles.ReadHit(ctx, pool, room, hittest.Disk{X: 100 * 100, Y: 128 * 100, R: 200}, bound)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Partial || len(got.Strokes) != 0 {
			t.Fatalf("older strokes beyond the bound: partial %v strokes %d", got.Partial, len(got.Strokes))
		}
		got, err = tiles.ReadHit(ctx, pool, room, hittest.Disk{X: 100 * 100, Y: 128 * 100, R: 200}, tiles.HitBound{ScanPerTile: 100, Strokes: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Partial || len(got.Strokes) != 1 || name[string(got.Strokes[0].GetId())] != "b" {
			t.Fatalf("capped at 1 stroke: partial %v strokes %d", got.Partial, len(got.Strokes))
		}
	})
}

func indexOf(all []*strokev1.Stroke, s *strokev1.Stroke) int {
	for i, x := range all {
		if string(x.GetId()) == string(s.GetId()) {
			return i
		}
	}
	return -1
}

// HitSQL seeks the tile_events, strokes and stroke_events primary keys, even with enough rows that a
// table scan would be the wrong plan.
func TestHitQueryUsesIndexes(t *testing.T) {
	db, room := planRows(t)
	for name, scan := range map[string]int64{"default bound": tiles.DefaultHitScan + 1, "small bound": 4} {
		t.Run(name, func(t *testing.T) {
			checkPlan(t, db, tiles.HitSQL, []any{room, 0, []int32{0, 1, 0, 1}, []int32{0, 0, 1, 1}, scan, eventkind.StrokeAdded},
				"tile_events_pkey", "strokes_pkey", "stroke_events_pkey")
		})
	}
}
