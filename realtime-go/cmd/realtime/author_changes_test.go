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

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// AuthorChanges over gRPC answers the lists of the Revert that undoes what one person did over the
// WebSocket since a point; after that revert, by someone else, nothing is left to revert; bad requests
// are InvalidArgument.
func TestAuthorChangesOverGRPC(t *testing.T) {
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ownerID, guestID := uuid.NewString(), uuid.NewString()
	owner := dial(t, r, room, ownerID, "owner", 0, client.Options{})
	guest := dial(t, r, room, guestID, "editor", 0, client.Options{})

	s1, s2 := client.PenStroke(scribble(0, 0, 5), 300, 0xff), client.PenStroke(scribble(50, 0, 5), 300, 0xff)
	request(ctx, t, owner, commitMsg(s1), 0)
	request(ctx, t, owner, commitMsg(s2), 0) // seq 2: the point
	g1 := client.PenStroke(scribble(90, 0, 5), 300, 0xff)
	request(ctx, t, guest, commitMsg(g1), 0)
	erase := uuid.New()
	request(ctx, t, guest, eraseMsg(erase[:], s1.GetId()), 0)

	changes := func(author string, since uint64) *realtimev1.AuthorChangesResponse {
		t.Helper()
		res, err := api.AuthorChanges(ctx, &realtimev1.AuthorChangesRequest{RoomId: room.String(), AuthorId: author, SinceSeq: since})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	got := changes(guestID, 2)
	if !slices.EqualFunc(got.GetEraseStrokeIds(), [][]byte{g1.GetId()}, bytes.Equal) ||
		!slices.EqualFunc(got.GetRestoreStrokeIds(), [][]byte{s1.GetId()}, bytes.Equal) || got.GetHeadSeq() != 4 {
		t.Fatalf("the guest's changes since seq 2: %+v, want erase its stroke, restore the owner's, head 4", got)
	}
	if got := changes(ownerID, 2); len(got.GetEraseStrokeIds())+len(got.GetRestoreStrokeIds()) != 0 {
		t.Fatalf("the owner did nothing since seq 2: %+v", got)
	}
	action := uuid.New()
	if _, err := api.Revert(ctx, &realtimev1.RevertRequest{RoomId: room.String(), AuthorId: ownerID, ActionId: action[:],
		EraseStrokeIds: got.GetEraseStrokeIds(), RestoreStrokeIds: got.GetRestoreStrokeIds()}); err != nil {
		t.Fatal(err)
	}
	if got := changes(guestID, 2); len(got.GetEraseStrokeIds())+len(got.GetRestoreStrokeIds()) != 0 || got.GetHeadSeq() != 6 {
		t.Fatalf("after the owner's revert: %+v, want nothing left and head 6", got)
	}

	for name, req := range map[string]*realtimev1.AuthorChangesRequest{
		"room not a uuid":   {RoomId: "x", AuthorId: guestID},
		"author not a uuid": {RoomId: room.String(), AuthorId: "guest"},
	} {
		if _, err := api.AuthorChanges(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}
