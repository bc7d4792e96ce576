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
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// zigzag is issue 12's costly stroke: n points going back and forth between x = 12,800 and
// x = 104,819,200 (encoded units) at width 1000. Every segment stays under the per-segment bound of
// 4,096 tiles, and the whole stroke touches about 4,100 tiles, but with 10,000 points its path is 41
// million tiles long: the tile walk took 2.6 s before the path bound.
func zigzag(n int) *strokev1.Stroke {
	pts := make([]strokes.Point, n)
	for i := range pts {
		pts[i] = strokes.Point{X: 12_800, Y: 12_800, Pressure: strokes.DefaultPressure}
		if i%2 == 1 {
			pts[i].X = 104_819_200
		}
	}
	return client.PenStroke(pts, 1000, 0x112233ff)
}

var namesPathLimit = fmt.Sprintf("the limit is %d", strokes.MaxPathTiles)

// A stroke whose path is too long is refused with INVALID_ARGUMENT naming the limit over the WebSocket
// (commit and live begin) and over gRPC IngestStrokes, before it is queued, and a normal stroke right
// after commits.
func TestCostlyStrokeRefused(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	editor := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	api := grpcClient(t, r.grpcAddr)

	t.Run("websocket commit", func(t *testing.T) {
		rep, err := editor.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: zigzag(strokes.MaxPoints)}}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Error.GetCode() != realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT || !strings.Contains(rep.Error.GetMessage(), namesPathLimit) {
			t.Fatalf("reply %+v, want INVALID_ARGUMENT naming %q", rep, namesPathLimit)
		}
	})
	t.Run("websocket live begin", func(t *testing.T) {
		// Few enough points for a live chunk; its path is still 250,000 tiles long.
		begin := &realtimev1.StrokeBegin{Stroke: zigzag(64)}
		rep, err := editor.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: begin}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Error.GetCode() != realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT || !strings.Contains(rep.Error.GetMessage(), namesPathLimit) {
			t.Fatalf("reply %+v, want INVALID_ARGUMENT naming %q", rep, namesPathLimit)
		}
	})
	t.Run("grpc ingest", func(t *testing.T) {
		_, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
			Strokes: []*strokev1.Stroke{client.PenStroke(scribble(0, 0, 3), 300, 0xff), zigzag(strokes.MaxPoints)}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "stroke 1") || !strings.Contains(err.Error(), namesPathLimit) {
			t.Fatalf("err = %v, want InvalidArgument for stroke 1 naming %q", err, namesPathLimit)
		}
	})

	// Nothing was stored (the valid stroke of the refused batch included), and both paths still commit.
	if rep, _, err := commit(ctx, editor, scribble(0, 0, 5)); err != nil || rep.Ack.GetSeq() != 1 {
		t.Fatalf("normal commit after the refusals: %v %+v, want seq 1", err, rep)
	}
	res, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
		Strokes: []*strokev1.Stroke{client.PenStroke(scribble(9, 9, 5), 300, 0xff)}})
	if err != nil || res.GetResults()[0].GetSeq() != 2 {
		t.Fatalf("normal ingest after the refusals: %v %+v, want seq 2", err, res)
	}
}

// A stroke stored before the path bound existed can still be erased and restored: the write
// transaction does not walk it (which took seconds) nor fail the batch on it, and the room goes on.
func TestStoredCostlyStrokeErased(t *testing.T) {
	r := startReplica(t)
	room, author := uuid.New(), uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	legacy := zigzag(strokes.MaxPoints)
	payload := mustMarshal(&roomv1.StrokeAdded{Stroke: legacy})
	db := conn(t)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`insert into room_heads (room_id, head_seq) values ($1, 1)`, []any{room}},
		{`insert into strokes (room_id, stroke_id, author_id, added_seq) values ($1, $2, $3, 1)`, []any{room, legacy.GetId(), author}},
		{`insert into stroke_events (room_id, seq, kind, action_id, author_id, payload) values ($1, 1, $2, $3, $4, $5)`, []any{room, events.KindStrokeAdded, legacy.GetId(), author, payload}},
	} {
		if _, err := db.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	editor := dial(t, r, room, author.String(), "editor", 1, client.Options{})
	action := uuidBytes()
	rep, err := editor.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: action, StrokeIds: [][]byte{legacy.GetId()}}}})
	if err != nil || rep.Ack.GetSeq() != 2 {
		t.Fatalf("erase of the stored stroke: %v %+v, want seq 2", err, rep)
	}
	rep, err = editor.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Undo{Undo: &realtimev1.Undo{ActionId: action}}})
	if err != nil || rep.Ack.GetSeq() != 3 {
		t.Fatalf("undo of that erase: %v %+v, want seq 3", err, rep)
	}
	if rep, _, err := commit(ctx, editor, scribble(0, 0, 5)); err != nil || rep.Ack.GetSeq() != 4 {
		t.Fatalf("normal commit after: %v %+v, want seq 4", err, rep)
	}
}
