package main

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// regionRoom is a room drawn through realtime-go, its strokes by name.
type regionRoom struct {
	s      *stack
	room   uuid.UUID
	author string
	names  map[string]string // stroke id bytes → name
	ids    map[string][]byte
}

func newRegionRoom(t *testing.T) *regionRoom {
	return &regionRoom{s: startStack(t), room: uuid.New(), author: uuid.NewString(), names: map[string]string{}, ids: map[string][]byte{}}
}

// add commits strokes by name.
func (r *regionRoom) add(t *testing.T, ctx context.Context, named map[string]*strokev1.Stroke) {
	t.Helper()
	var all []*strokev1.Stroke
	for _, n := range slices.Sorted(maps.Keys(named)) {
		st := named[n]
		r.names[string(st.GetId())], r.ids[n] = n, st.GetId()
		all = append(all, st)
	}
	if _, err := r.s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: r.room.String(), AuthorId: r.author, Strokes: all}); err != nil {
		t.Fatal(err)
	}
}

// revert erases and restores strokes by name as one action and returns its seq.
func (r *regionRoom) revert(t *testing.T, ctx context.Context, erase, restore []string) uint64 {
	t.Helper()
	req := &realtimev1.RevertRequest{RoomId: r.room.String(), AuthorId: r.author, ActionId: uuidBytes(uuid.New())}
	for _, n := range erase {
		req.EraseStrokeIds = append(req.EraseStrokeIds, r.ids[n])
	}
	for _, n := range restore {
		req.RestoreStrokeIds = append(req.RestoreStrokeIds, r.ids[n])
	}
	res, err := r.s.realtime.Revert(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetSeq()
}

// changes asks RegionChanges and returns the names of both lists, sorted.
func (r *regionRoom) changes(t *testing.T, ctx context.Context, v *tilev1.Viewport, at uint64) (erase, restore []string, res *tilev1.RegionChangesResponse) {
	t.Helper()
	res, err := r.s.tiles.RegionChanges(ctx, &tilev1.RegionChangesRequest{RoomId: r.room.String(), Region: v, AtSeq: at})
	if err != nil {
		t.Fatal(err)
	}
	named := func(ids [][]byte) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, r.names[string(id)])
		}
		slices.Sort(out)
		return out
	}
	return named(res.GetEraseStrokeIds()), named(res.GetRestoreStrokeIds()), res
}

func uuidBytes(id uuid.UUID) []byte { return id[:] }

// world is a region in world units.
func world(x0, y0, x1, y1 int64) *tilev1.Viewport {
	return &tilev1.Viewport{MinX: x0 * 100, MinY: y0 * 100, MaxX: x1 * 100, MaxY: y1 * 100}
}

// RegionChanges lists the strokes meeting the region whose visibility differs between the point and now:
// added since and visible (erase), erased since and visible then (restore), erased then and restored since
// (erase). Strokes outside the region are left out, also those in the tiles read; those straddling its edge
// or whose reach just touches it are in.
func TestRegionChanges(t *testing.T) {
	r := newRegionRoom(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The region [0, 400) x [0, 256) holds level-0 tile (0, 0) whole and meets part of tile (1, 0),
	// [256, 512) x [0, 256). A stroke 4 world units wide reaches 4 world units (3·400/4 + 100 encoded).
	region := world(0, 0, 400, 256)
	r.add(t, ctx, map[string]*strokev1.Stroke{
		"kept":          line(20, 20, 90, 20, 4),
		"erasedSince":   line(20, 40, 90, 40, 4),
		"erasedBefore":  line(20, 60, 90, 60, 4),
		"restoredSince": line(20, 80, 90, 80, 4),
		"flickered":     line(20, 100, 90, 100, 4), // erased and restored since: the same at both ends
		"outsideErased": line(600, 20, 700, 20, 4),
	})
	point := r.revert(t, ctx, []string{"erasedBefore", "restoredSince"}, nil)

	pixelEraser := line(60, 200, 90, 200, 10)
	pixelEraser.Tool = strokev1.Tool_TOOL_PIXEL_ERASER
	r.add(t, ctx, map[string]*strokev1.Stroke{
		"addedInside":     line(100, 150, 200, 150, 4),
		"addedPartial":    line(300, 50, 350, 50, 4),   // in tile (1, 0), inside the region
		"addedBeside":     line(420, 50, 500, 50, 4),   // in tile (1, 0), outside the region
		"straddling":      line(380, 150, 450, 150, 4), // across the right edge
		"justOutside":     line(404, 120, 450, 120, 4), // its reach ends on the exclusive right edge
		"touchesMinEdge":  line(-50, 120, -4, 120, 4),  // its reach ends on the inclusive left edge
		"addedThenErased": line(100, 180, 200, 180, 4),
		"far":             line(5000, 5000, 5050, 5000, 4),
		"pixelEraser":     pixelEraser,
	})
	r.revert(t, ctx, []string{"erasedSince", "flickered", "outsideErased", "addedThenErased"}, []string{"restoredSince"})
	head := r.revert(t, ctx, nil, []string{"flickered"})

	tests := []struct {
		name           string
		region         *tilev1.Viewport
		at             uint64
		erase, restore []string
		atSeq          uint64
		level          uint32
	}{
		{"to the point", region, point,
			[]string{"addedInside", "addedPartial", "pixelEraser", "restoredSince", "straddling", "touchesMinEdge"}, []string{"erasedSince"}, point, 0},
		{"to before the first event", region, 0,
			[]string{"addedInside", "addedPartial", "flickered", "kept", "pixelEraser", "restoredSince", "straddling", "touchesMinEdge"}, []string{}, 0, 0},
		{"a far region", world(4990, 4990, 5100, 5100), point, []string{"far"}, []string{}, point, 0},
		{"a wide region reads a coarse level", world(-100_000, -100_000, 100_000, 100_000), point,
			[]string{"addedBeside", "addedInside", "addedPartial", "far", "justOutside", "pixelEraser", "restoredSince", "straddling", "touchesMinEdge"},
			[]string{"erasedSince", "outsideErased"}, point, 8},
		{"an empty place", world(-90_000, 50_000, -80_000, 60_000), point, []string{}, []string{}, point, 4},
		{"the head: nothing changes", region, head, []string{}, []string{}, head, 0},
		{"beyond the head: nothing changes", region, head + 100, []string{}, []string{}, head, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			erase, restore, res := r.changes(t, ctx, tc.region, tc.at)
			if !slices.Equal(erase, tc.erase) || !slices.Equal(restore, tc.restore) {
				t.Fatalf("erase %v restore %v, want %v and %v", erase, restore, tc.erase, tc.restore)
			}
			if res.GetHeadSeq() != head || res.GetAtSeq() != tc.atSeq || res.GetLevel() != tc.level {
				t.Fatalf("head %d at %d level %d, want %d %d %d", res.GetHeadSeq(), res.GetAtSeq(), res.GetLevel(), head, tc.atSeq, tc.level)
			}
		})
	}

	t.Run("the answer restores the region", func(t *testing.T) {
		res, err := r.s.tiles.RegionChanges(ctx, &tilev1.RegionChangesRequest{RoomId: r.room.String(), Region: region, AtSeq: point})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.s.realtime.Revert(ctx, &realtimev1.RevertRequest{RoomId: r.room.String(), AuthorId: r.author, ActionId: uuidBytes(uuid.New()),
			EraseStrokeIds: res.GetEraseStrokeIds(), RestoreStrokeIds: res.GetRestoreStrokeIds()}); err != nil {
			t.Fatal(err)
		}
		if erase, restore, _ := r.changes(t, ctx, region, point); len(erase)+len(restore) != 0 {
			t.Fatalf("after the revert, the region still differs from the point: erase %v restore %v", erase, restore)
		}
	})

	bad := map[string]*tilev1.RegionChangesRequest{
		"room not a uuid":       {RoomId: "x", Region: region},
		"no region":             {RoomId: r.room.String()},
		"an empty region":       {RoomId: r.room.String(), Region: world(10, 10, 10, 20)},
		"an inverted region":    {RoomId: r.room.String(), Region: world(10, 10, 0, 20)},
		"outside the world":     {RoomId: r.room.String(), Region: &tilev1.Viewport{MinX: -strokes.MaxCoord - 1, MaxX: 0, MaxY: 100}},
		"far outside the world": {RoomId: r.room.String(), Region: &tilev1.Viewport{MinX: 1 << 62, MaxX: 1<<62 + 1, MaxY: 100}},
	}
	for n, req := range bad {
		t.Run("bad input: "+n, func(t *testing.T) {
			if _, err := r.s.tiles.RegionChanges(ctx, req); grpcCode(err) != "InvalidArgument" {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}

	// The bounds: the index entries after the point of the tiles read, and the strokes of those tiles
	// whose visibility changed, are refused past them rather than read on.
	t.Run("bounds", func(t *testing.T) {
		pool := testPool(t)
		reg := strokes.Region{MinX: 0, MinY: 0, MaxX: 40_000, MaxY: 25_600}
		all, err := tiles.ReadRegionChanges(ctx, pool, r.room, reg, point, tiles.DefaultRegionBound)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			bound   tiles.RegionBound
			refused bool
		}{
			{"entries: exactly those read", tiles.RegionBound{Entries: all.Scanned, Strokes: 100}, false},
			{"entries: one fewer", tiles.RegionBound{Entries: all.Scanned - 1, Strokes: 100}, true},
			{"strokes: fewer than changed (those beside the region)", tiles.RegionBound{Entries: 1000, Strokes: 1}, true},
		} {
			_, err := tiles.ReadRegionChanges(ctx, pool, r.room, reg, point, tc.bound)
			if errors.Is(err, tiles.ErrRegionTooLarge) != tc.refused || (err != nil && !tc.refused) {
				t.Errorf("%s: %v, want refused %v", tc.name, err, tc.refused)
			}
		}
	})
}

// RegionSQL seeks the tile_events primary key (after a point for RegionChanges, up to one for Timelapse),
// RegionStrokesSQL the strokes and stroke_events ones, even with enough rows that a table scan would be the
// wrong plan.
func TestRegionQueriesUseIndexes(t *testing.T) {
	db, room := planRows(t)
	ctx := context.Background()
	var ids [][16]byte
	rows, err := db.Query(ctx, `select stroke_id from strokes where room_id = $1 limit 300`, room)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id [16]byte
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for _, tc := range []struct {
		name    string
		sql     string
		args    []any
		indexes []string
	}{
		{"index entries", tiles.RegionSQL, []any{room, 0, []int32{0, 1, 2, 3}, []int32{0, 0, 1, 1}, int64(100), int64(500_001), int64(1_000)}, []string{"tile_events_pkey"}},
		{"index entries up to a point (a timelapse)", tiles.RegionSQL, []any{room, 0, []int32{0, 1, 2, 3}, []int32{0, 0, 1, 1}, int64(0), int64(2_000_001), int64(300)},
			[]string{"tile_events_pkey"}},
		{"strokes", tiles.RegionStrokesSQL, []any{room, ids}, []string{"strokes_pkey", "stroke_events_pkey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPlan(t, db, tc.sql, tc.args, tc.indexes...)
		})
	}
}

// The target: a restore of a region holding 10,000 strokes commits in at most a second. 10,000
// strokes drawn in a region after a point, and 50 of the 100 drawn before it erased since, are restored
// to the point: RegionChanges lists the 10,000 to erase and the 50 to restore, and one Revert commits
// them, after which the region reads as it was. The durations are logged, not asserted.
func TestRestoreOfTenThousandStrokes(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	room, author := uuid.New(), uuid.NewString()
	// A grid of strokes 20 world units apart, 10 long, in [0, 2000) x [0, 2000).
	grid := func(n, from int) []*strokev1.Stroke {
		out := make([]*strokev1.Stroke, n)
		for i := range out {
			x, y := int64((from+i)%100)*20, int64((from+i)/100)*20
			out[i] = line(x+2, y+5, x+12, y+5, 2)
		}
		return out
	}
	ingest := func(ss []*strokev1.Stroke) {
		t.Helper()
		for b := range slices.Chunk(ss, 1000) {
			if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: b}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(ss []*strokev1.Stroke) [][]byte {
		out := make([][]byte, len(ss))
		for i, st := range ss {
			out[i] = st.GetId()
		}
		return out
	}
	const n = 10_000
	before := grid(100, 0)
	ingest(before)
	point := uint64(len(before))
	since := grid(n, 0)
	ingest(since)
	if _, err := s.realtime.Revert(ctx, &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: author, ActionId: uuidBytes(uuid.New()),
		EraseStrokeIds: ids(before[:50])}); err != nil {
		t.Fatal(err)
	}

	region := world(0, 0, 2000, 2000)
	start := time.Now()
	ch, err := s.tiles.RegionChanges(ctx, &tilev1.RegionChangesRequest{RoomId: room.String(), Region: region, AtSeq: point})
	if err != nil {
		t.Fatal(err)
	}
	computed := time.Since(start)
	rev, err := s.realtime.Revert(ctx, &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: author, ActionId: uuidBytes(uuid.New()),
		EraseStrokeIds: ch.GetEraseStrokeIds(), RestoreStrokeIds: ch.GetRestoreStrokeIds()})
	if err != nil {
		t.Fatal(err)
	}
	committed := time.Since(start) - computed
	t.Logf("restore of a region of %d strokes (level %d): changes read in %v, revert committed in %v, %v in all",
		len(ch.GetEraseStrokeIds())+len(ch.GetRestoreStrokeIds()), ch.GetLevel(), computed, committed, computed+committed)

	sorted := func(raw [][]byte) []string {
		out := make([]string, len(raw))
		for i, b := range raw {
			out[i] = string(b)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(sorted(ch.GetEraseStrokeIds()), sorted(ids(since))) || !slices.Equal(sorted(ch.GetRestoreStrokeIds()), sorted(ids(before[:50]))) {
		t.Fatalf("RegionChanges: %d to erase, %d to restore; want the %d drawn since and the 50 erased since",
			len(ch.GetEraseStrokeIds()), len(ch.GetRestoreStrokeIds()), n)
	}
	if head := point + n + 1; rev.GetSeq() != head+2 {
		t.Fatalf("revert at seq %d, want %d (an erase and a restore after %d)", rev.GetSeq(), head+2, head)
	}
	if after, err := s.tiles.RegionChanges(ctx, &tilev1.RegionChangesRequest{RoomId: room.String(), Region: region, AtSeq: point}); err != nil ||
		len(after.GetEraseStrokeIds())+len(after.GetRestoreStrokeIds()) != 0 {
		t.Fatalf("after the restore the region still differs from the point: %v %v", after, err)
	}
}
