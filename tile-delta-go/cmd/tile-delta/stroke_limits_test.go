package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// storeLegacyStroke writes a stroke the way realtime-go's writer stored it before the stroke limits
// (room head, event, stroke state, a tile_events row for tile (0, 0, 0)), since no service accepts such
// a stroke any more, and returns its sequence number.
func storeLegacyStroke(t *testing.T, room uuid.UUID, s *strokev1.Stroke) uint64 {
	t.Helper()
	ctx := context.Background()
	payload, err := proto.Marshal(&roomv1.StrokeAdded{Stroke: s})
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	err = pgx.BeginFunc(ctx, testPool(t), func(tx pgx.Tx) error {
		author := uuid.New()
		if err := tx.QueryRow(ctx, `insert into room_heads (room_id, head_seq) values ($1, 1)
			on conflict (room_id) do update set head_seq = room_heads.head_seq + 1 returning head_seq`, room).Scan(&seq); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`insert into stroke_events (room_id, seq, kind, action_id, author_id, payload) values ($1, $2, 1, $3, $4, $5)`, []any{room, seq, s.GetId(), author, payload}},
			{`insert into strokes (room_id, stroke_id, author_id, added_seq) values ($1, $2, $3, $4)`, []any{room, s.GetId(), author, seq}},
			{`insert into tile_events (room_id, level, tx, ty, seq, stroke_id, kind) values ($1, 0, 0, 0, $2, $3, 1)`, []any{room, seq, s.GetId()}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
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

// A stored stroke over the stroke limits (issue 12's zig-zag, stored before the limits existed) is left
// out of renders by snapshot-rs and by the gg fallback, and of hit tests, without an error: the rest of
// its tile renders and hits as before.
func TestStoredStrokeOverTheLimitsSkipped(t *testing.T) {
	s := startStack(t, "SNAPSHOT_BREAKER_FAILURES=1", "SNAPSHOT_BREAKER_COOLDOWN=10m", "SNAPSHOT_TIMEOUT=2s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := uuid.New()
	good := line(20, 40, 236, 40, 8)
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{good}}); err != nil {
		t.Fatal(err)
	}
	// 10,000 points back and forth at y = 200 between x = 128 and x = 1,048,192 world units, width 10.
	pts := make([]strokes.Point, strokes.MaxPoints)
	for i := range pts {
		pts[i] = strokes.Point{X: 12_800, Y: 20_000, Pressure: strokes.DefaultPressure}
		if i%2 == 1 {
			pts[i].X = 104_819_200
		}
	}
	legacy := line(0, 0, 0, 0, 10)
	legacy.Quantum, legacy.Points, legacy.Pressures = strokes.EncodePoints(pts)
	if _, err := strokes.Decode(legacy); err == nil {
		t.Fatal("the legacy stroke is within the limits")
	}
	if seq := storeLegacyStroke(t, room, legacy); seq != 2 {
		t.Fatalf("legacy stroke stored at seq %d", seq)
	}

	render := func(want string) {
		t.Helper()
		r, err := s.tiles.RenderTile(ctx, &tilev1.RenderTileRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{}})
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, r.GetPng())
		if _, _, bl, a := img.At(128, 40).RGBA(); a < 0xf000 || bl < 0xf000 {
			t.Fatalf("%s: pixel on the good stroke is not opaque blue: a=%x b=%x", r.GetRenderer(), a, bl)
		}
		if _, _, _, a := img.At(128, 200).RGBA(); a != 0 {
			t.Fatalf("%s: the stroke over the limits was drawn (alpha %x)", r.GetRenderer(), a)
		}
		if r.GetRenderer() != want || r.GetCoversSeq() != 2 {
			t.Fatalf("renderer %q covers %d, want %s covering 2", r.GetRenderer(), r.GetCoversSeq(), want)
		}
	}
	render("snapshot-rs")

	hit := func(y float64) [][]byte {
		t.Helper()
		got, err := s.tiles.HitStrokes(ctx, &tilev1.HitStrokesRequest{RoomId: room.String(), X: 12_800, Y: int64(y * 100), Radius: 200})
		if err != nil {
			t.Fatal(err)
		}
		var ids [][]byte
		for _, st := range got.GetStrokes() {
			ids = append(ids, st.GetId())
		}
		return ids
	}
	if ids := hit(200); len(ids) != 0 {
		t.Fatalf("hit test on the stroke over the limits returned %d strokes", len(ids))
	}
	if ids := hit(40); len(ids) != 1 || !bytes.Equal(ids[0], good.GetId()) {
		t.Fatalf("hit test on the good stroke returned %d strokes", len(ids))
	}

	s.snapshotProc.kill()
	render("gg")
}
