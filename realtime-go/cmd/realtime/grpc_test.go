package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// The gateway's API: ingest with the /ws rules, paged reads with a cache that writes invalidate,
// presence, and closing a room.
func TestRealtimeServiceOverGRPC(t *testing.T) {
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	author := uuid.NewString()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	watcher := dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{})
	batch := []*strokev1.Stroke{client.PenStroke(scribble(0, 0, 5), 300, 0xff), client.PenStroke(scribble(9, 9, 5), 300, 0xff), client.PenStroke(scribble(5, 5, 5), 300, 0xff)}
	res, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: batch})
	if err != nil {
		t.Fatal(err)
	}
	for i, rr := range res.GetResults() {
		if rr.GetSeq() != uint64(i+1) || rr.GetDuplicate() {
			t.Fatalf("result %d: %+v", i, rr)
		}
	}
	again, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: batch[:1]})
	if err != nil || !again.GetResults()[0].GetDuplicate() || again.GetResults()[0].GetSeq() != 1 {
		t.Fatalf("idempotent ingest: %v %+v", err, again)
	}
	if err := watcher.WaitSeq(ctx, 3); err != nil {
		t.Fatal("ingested strokes must reach WebSocket clients: ", err)
	}

	// The first page of the default size twice (the second from the cache), then a write makes the cache
	// miss: the entry was read at another head.
	for i := 0; i < 2; i++ {
		page, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String()})
		if err != nil || len(page.GetEvents()) != 3 || page.GetHasMore() || page.GetHeadSeq() != 3 {
			t.Fatalf("first page: %v %+v", err, page)
		}
	}
	if _, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: []*strokev1.Stroke{client.PenStroke(scribble(1, 1, 3), 300, 0xff)}}); err != nil {
		t.Fatal(err)
	}
	page, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String()})
	if err != nil || page.GetHeadSeq() != 4 || len(page.GetEvents()) != 4 {
		t.Fatalf("after a write the cached first page must not be served: %v %+v", err, page)
	}
	page, err = api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), Limit: 2})
	if err != nil || len(page.GetEvents()) != 2 || !page.GetHasMore() || page.GetHeadSeq() != 4 {
		t.Fatalf("a page of 2: %v %+v", err, page)
	}
	rest, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), AfterSeq: 2, Limit: 10})
	if err != nil || len(rest.GetEvents()) != 2 || rest.GetHasMore() || rest.GetEvents()[0].GetSeq() != 3 {
		t.Fatalf("second page: %v %+v", err, rest)
	}

	presence, err := api.GetPresence(ctx, &realtimev1.GetPresenceRequest{RoomId: room.String()})
	if err != nil || len(presence.GetPeers()) != 1 || presence.GetPeers()[0].GetSessionId() != watcher.Welcome.GetSessionId() {
		t.Fatalf("presence: %v %+v", err, presence)
	}

	bad := []struct {
		name string
		call func() error
		code codes.Code
	}{
		{"room id not a uuid", func() error {
			_, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: "room-1"})
			return err
		}, codes.InvalidArgument},
		{"page too large", func() error {
			_, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), Limit: 1 << 30})
			return err
		}, codes.InvalidArgument},
		{"invalid stroke", func() error {
			s := client.PenStroke(scribble(0, 0, 2), 0, 0xff)
			_, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: []*strokev1.Stroke{s}})
			return err
		}, codes.InvalidArgument},
		{"no strokes", func() error {
			_, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author})
			return err
		}, codes.InvalidArgument},
		{"author not a uuid", func() error {
			_, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: "bob", Strokes: batch})
			return err
		}, codes.InvalidArgument},
	}
	for _, b := range bad {
		if err := b.call(); status.Code(err) != b.code {
			t.Errorf("%s: %v, want %s", b.name, err, b.code)
		}
	}

	closed, err := api.CloseRoom(ctx, &realtimev1.CloseRoomRequest{RoomId: room.String(), Purge: true})
	if err != nil || closed.GetDisconnected() != 1 || closed.GetPurgedEvents() != 4 {
		t.Fatalf("close room: %v %+v", err, closed)
	}
	<-watcher.Done()
	// Closing with purge is how a room is deleted: its members' access ended.
	if watcher.Final().GetCode() != realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED {
		t.Fatalf("watcher closed with %+v", watcher.Final())
	}
	// The first page of head 4 was cached, and the head stays 4: purging dropped the entry.
	empty, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String()})
	if err != nil || len(empty.GetEvents()) != 0 {
		t.Fatalf("purged room still has events: %v %+v", err, empty)
	}
}

// A removed member's connections end at once, on every replica.
func TestDisconnectUserOnEveryReplica(t *testing.T) {
	a, b := startReplica(t), startReplica(t)
	room := uuid.New()
	removed, kept := uuid.NewString(), uuid.NewString()
	onA := dial(t, a, room, removed, "editor", 0, client.Options{})
	onB := dial(t, b, room, removed, "editor", 0, client.Options{})
	stays := dial(t, b, room, kept, "editor", 0, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := grpcClient(t, a.grpcAddr).DisconnectUser(ctx, &realtimev1.DisconnectUserRequest{RoomId: room.String(), UserId: removed}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{onA, onB} {
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatal("removed member still connected")
		}
		if c.Final().GetCode() != realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED {
			t.Fatalf("closed with %+v", c.Final())
		}
	}
	if rep, _, err := commit(ctx, stays, scribble(0, 0, 3)); err != nil || rep.Ack == nil {
		t.Fatalf("the member who stays can still draw: %v %+v", err, rep)
	}
}
