package main

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// A revert over gRPC is one action of two events, which reach the clients connected to every replica as
// the events of the WebSocket do; the same request again is a duplicate; its author undoes and redoes
// it over the WebSocket; what it refuses gets the codes IngestStrokes gives.
func TestRevertOverGRPC(t *testing.T) {
	a, b := startReplica(t), startReplica(t)
	api := grpcClient(t, a.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ownerID := uuid.NewString()
	owner := dial(t, a, room, ownerID, "owner", 0, client.Options{})
	watchers := []*client.Client{
		dial(t, a, room, uuid.NewString(), "viewer", 0, client.Options{}),
		dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{}),
	}

	s1, s2, s3 := client.PenStroke(scribble(0, 0, 5), 300, 0xff), client.PenStroke(scribble(50, 0, 5), 300, 0xff), client.PenStroke(scribble(90, 0, 5), 300, 0xff)
	for _, s := range []*strokev1.Stroke{s1, s2, s3} {
		request(ctx, t, owner, commitMsg(s), 0)
	}
	erase := uuid.New()
	request(ctx, t, owner, eraseMsg(erase[:], s3.GetId()), 0) // seq 4

	action := uuid.New()
	revert := &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: action[:],
		EraseStrokeIds: [][]byte{s1.GetId(), s2.GetId()}, RestoreStrokeIds: [][]byte{s3.GetId()}}
	res, err := api.Revert(ctx, revert)
	if err != nil || res.GetSeq() != 6 || res.GetDuplicate() {
		t.Fatalf("revert: %v %+v, want seq 6", err, res)
	}
	again, err := api.Revert(ctx, revert)
	if err != nil || again.GetSeq() != 6 || !again.GetDuplicate() {
		t.Fatalf("the same revert again: %v %+v, want a duplicate of seq 6", err, again)
	}
	undo := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Undo{Undo: &realtimev1.Undo{ActionId: action[:]}}}
	redo := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Redo{Redo: &realtimev1.Redo{ActionId: action[:]}}}
	if ack := request(ctx, t, owner, undo, 0).Ack; ack.GetSeq() != 8 {
		t.Fatalf("undo of the revert: %+v, want seq 8", ack)
	}
	if ack := request(ctx, t, owner, redo, 0).Ack; ack.GetSeq() != 10 {
		t.Fatalf("redo of the revert: %+v, want seq 10", ack)
	}

	want := []struct {
		erased  bool
		strokes [][]byte
	}{
		{true, [][]byte{s1.GetId(), s2.GetId()}}, {false, [][]byte{s3.GetId()}}, // the revert
		{true, [][]byte{s3.GetId()}}, {false, [][]byte{s1.GetId(), s2.GetId()}}, // its undo
		{true, [][]byte{s1.GetId(), s2.GetId()}}, {false, [][]byte{s3.GetId()}}, // its redo
	}
	stored := storedEvents(ctx, t, api, room)
	for i, w := range watchers {
		if err := w.WaitSeq(ctx, 10); err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
		got := w.Events()
		if !slices.EqualFunc(got, stored, func(x, y *roomv1.RoomEvent) bool { return proto.Equal(x, y) }) {
			t.Fatalf("watcher %d received other events than were stored", i)
		}
		for j, e := range got[4:] {
			ids, action := e.GetStrokesErased().GetStrokeIds(), e.GetStrokesErased().GetActionId()
			if !want[j].erased {
				ids, action = e.GetStrokesRestored().GetStrokeIds(), e.GetStrokesRestored().GetActionId()
			}
			if e.GetAuthorId() != ownerID || !bytes.Equal(action, revert.GetActionId()) || !slices.EqualFunc(ids, want[j].strokes, bytes.Equal) {
				t.Fatalf("watcher %d, event %d: %+v, want erased=%v of %x by the owner's revert", i, e.GetSeq(), e, want[j].erased, want[j].strokes)
			}
		}
	}

	fresh := func() []byte { id := uuid.New(); return id[:] }
	many := make([][]byte, 100_001)
	for i := range many {
		many[i] = fresh()
	}
	bad := []struct {
		name string
		req  *realtimev1.RevertRequest
		code codes.Code
	}{
		{"nothing to change", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh(),
			EraseStrokeIds: [][]byte{s1.GetId()}, RestoreStrokeIds: [][]byte{s3.GetId()}}, codes.NotFound},
		{"its action id by another author", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: uuid.NewString(), ActionId: action[:],
			EraseStrokeIds: revert.GetEraseStrokeIds(), RestoreStrokeIds: revert.GetRestoreStrokeIds()}, codes.AlreadyExists},
		{"a stroke id as action id", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: s1.GetId(),
			RestoreStrokeIds: [][]byte{s1.GetId()}}, codes.AlreadyExists},
		{"a stroke in both lists", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh(),
			EraseStrokeIds: [][]byte{s3.GetId()}, RestoreStrokeIds: [][]byte{s1.GetId(), s3.GetId()}}, codes.InvalidArgument},
		{"no strokes", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh()}, codes.InvalidArgument},
		{"over 100,000 strokes", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh(),
			EraseStrokeIds: many[:50_000], RestoreStrokeIds: many[50_000:]}, codes.InvalidArgument},
		{"a short action id", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh()[:15],
			EraseStrokeIds: [][]byte{s3.GetId()}}, codes.InvalidArgument},
		{"a short stroke id", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: fresh(),
			EraseStrokeIds: [][]byte{s3.GetId()}, RestoreStrokeIds: [][]byte{s1.GetId()[:8]}}, codes.InvalidArgument},
		{"author not a uuid", &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: "bob", ActionId: fresh(),
			EraseStrokeIds: [][]byte{s3.GetId()}}, codes.InvalidArgument},
	}
	for _, tc := range bad {
		if _, err := api.Revert(ctx, tc.req); status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if n := len(storedEvents(ctx, t, api, room)); n != 10 {
		t.Fatalf("%d events stored, want 10: a refused revert stores nothing", n)
	}
}
