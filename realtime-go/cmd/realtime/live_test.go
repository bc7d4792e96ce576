package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// withUnknown appends an unknown field of n bytes to m's encoding.
func withUnknown(m proto.Message, n int) proto.Message {
	m.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 1000, protowire.BytesType), make([]byte, n)))
	return m
}

// Live traffic is relayed rebuilt from its checked fields: a viewer's cursor carrying a 200 KB unknown
// field reaches the owner as a small frame without it, and live strokes whose points or pressures break
// the bounds are refused and not relayed.
func TestLiveTrafficIsRebuiltAndBounded(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var liveFrames []int // sizes of the owner's frames that hold live messages
	seen := newLiveLog()
	dial(t, r, room, uuid.NewString(), "owner", 0, client.Options{OnLive: seen.add, OnFrame: func(b []byte) {
		var f realtimev1.ServerFrame
		if proto.Unmarshal(b, &f) != nil {
			return
		}
		for _, m := range f.GetMessages() {
			if m.GetLive() != nil {
				mu.Lock()
				liveFrames = append(liveFrames, len(b))
				mu.Unlock()
				return
			}
		}
	}})
	viewer := dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{})
	editor := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})

	cursor := withUnknown(&realtimev1.CursorMove{X: 1234, Y: -5678}, 200<<10).(*realtimev1.CursorMove)
	if err := viewer.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CursorMove{CursorMove: cursor}}); err != nil {
		t.Fatal(err)
	}
	got := seen.waitFor(ctx, t, "the viewer's cursor", func(m *realtimev1.Live) bool { return m.GetCursorMove() != nil })
	if c := got.GetCursorMove(); c.GetX() != 1234 || c.GetY() != -5678 || len(c.ProtoReflect().GetUnknown()) != 0 || len(got.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("relayed cursor (%d, %d) keeps %d unknown bytes", c.GetX(), c.GetY(), len(c.ProtoReflect().GetUnknown()))
	}
	mu.Lock()
	if len(liveFrames) != 1 || liveFrames[0] > 256 {
		t.Fatalf("the cursor reached the owner in frames of %v bytes", liveFrames)
	}
	mu.Unlock()

	// Viewers send cursors only.
	pts := scribble(0, 0, 4)
	pts[3].Pressure = 250 // a stroke with pressures
	s := client.PenStroke(pts, 300, 0xff)
	begin := func(s proto.Message) *realtimev1.ClientMessage {
		return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: s.(*realtimev1.StrokeBegin)}}
	}
	request(ctx, t, viewer, begin(&realtimev1.StrokeBegin{Stroke: s}), realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED)

	// An editor's live stroke: the begin is relayed without its unknown fields, and every chunk that
	// breaks a bound is refused.
	if err := editor.Send(begin(withUnknown(&realtimev1.StrokeBegin{Stroke: withUnknown(proto.Clone(s), 1000).(*strokev1.Stroke)}, 1000))); err != nil {
		t.Fatal(err)
	}
	b := seen.waitFor(ctx, t, "the editor's StrokeBegin", func(m *realtimev1.Live) bool { return m.GetStrokeBegin() != nil })
	if len(b.GetStrokeBegin().ProtoReflect().GetUnknown()) != 0 || !proto.Equal(b.GetStrokeBegin().GetStroke(), s) {
		t.Fatalf("relayed StrokeBegin keeps %d unknown bytes or differs from the stroke", len(b.GetStrokeBegin().ProtoReflect().GetUnknown()))
	}
	more := func(points, pressures []int32) *realtimev1.ClientMessage {
		return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: s.GetId(), Points: points, Pressures: pressures}}}
	}
	for _, tt := range []struct {
		name string
		msg  *realtimev1.ClientMessage
	}{
		{"oversize pressures", more([]int32{1, 1}, make([]int32, 5000))},
		{"no pressures", more([]int32{1, 1}, nil)},
		{"pressure out of range", more([]int32{1, 1}, []int32{10})},
		{"odd points", more([]int32{1, 1, 1}, []int32{0})},
		{"more than the live chunk", more(make([]int32, 2*2001), make([]int32, 2001))},
		{"outside the world", more([]int32{2_000_000_000, 0}, []int32{0})},
		{"cursor outside the world", &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CursorMove{CursorMove: &realtimev1.CursorMove{X: 2_000_000_000}}}},
	} {
		rep, err := editor.Request(ctx, tt.msg)
		if err != nil || rep.Error.GetCode() != realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT {
			t.Fatalf("%s: %v %+v, want INVALID_ARGUMENT", tt.name, err, rep)
		}
	}
	// A valid chunk after the refused ones is relayed as sent: nothing refused moved the stroke.
	if err := editor.Send(more([]int32{7, 8}, []int32{-50})); err != nil {
		t.Fatal(err)
	}
	m := seen.waitFor(ctx, t, "the valid StrokeMore", func(m *realtimev1.Live) bool { return m.GetStrokeMore() != nil })
	for _, l := range seen.all() {
		if l.GetStrokeMore() != nil && l != m || l.GetCursorMove() != nil && l != got {
			t.Fatalf("a refused live message was relayed: %v", l)
		}
	}
	if pts, ps := m.GetStrokeMore().GetPoints(), m.GetStrokeMore().GetPressures(); len(pts) != 2 || pts[0] != 7 || pts[1] != 8 || len(ps) != 1 || ps[0] != -50 {
		t.Fatalf("relayed StrokeMore %v", m)
	}
}
