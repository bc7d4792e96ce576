package grpcapi

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Revert implements RealtimeService: one action that erases some strokes and restores others. It goes
// through the writer like the commands of /ws, so that its events reach every connected client.
func (s *Server) Revert(ctx context.Context, req *realtimev1.RevertRequest) (*realtimev1.RevertResponse, error) {
	room, author, err := parseRoomAuthor(req.GetRoomId(), req.GetAuthorId())
	if err != nil {
		return nil, err
	}
	if err := strokes.ValidID(req.GetActionId()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "action_id: %v", err)
	}
	if n := len(req.GetEraseStrokeIds()) + len(req.GetRestoreStrokeIds()); n == 0 || n > events.MaxRevertIDs {
		return nil, status.Errorf(codes.InvalidArgument, "send 1..%d stroke ids in all, got %d", events.MaxRevertIDs, n)
	}
	erase, err := parseIDs("erase_stroke_ids", req.GetEraseStrokeIds())
	if err != nil {
		return nil, err
	}
	restore, err := parseIDs("restore_stroke_ids", req.GetRestoreStrokeIds())
	if err != nil {
		return nil, err
	}
	action := uuid.UUID(req.GetActionId())
	done := make(chan events.Result, 1)
	cmd := events.Command{Op: events.OpRevert, Room: room, Author: author, ActionID: action, StrokeIDs: erase, Restore: restore}
	if err := s.Writer.Submit(&events.Request{Cmd: cmd, Done: func(r events.Result) { done <- r }}); err != nil {
		return nil, status.Error(codes.ResourceExhausted, err.Error())
	}
	var r events.Result
	select {
	case r = <-done:
	case <-ctx.Done():
		// The revert still commits; the caller's retry is a duplicate.
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if r.Err != nil {
		return nil, status.Errorf(statusCode(r.Err), "revert %s: %v", action, r.Err)
	}
	// A revert may change a whole region or a person's work: worth a line for whoever asks what happened.
	s.Log.Info("revert", "room", room, "author", author, "action", action, "erase", len(erase), "restore", len(restore),
		"seq", r.Seq, "duplicate", r.Duplicate)
	return &realtimev1.RevertResponse{Seq: r.Seq, Duplicate: r.Duplicate}, nil
}

// parseIDs reads the 16-byte ids of a request's repeated field.
func parseIDs(field string, raw [][]byte) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(raw))
	for i, b := range raw {
		if err := strokes.ValidID(b); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "%s[%d]: %v", field, i, err)
		}
		out[i] = uuid.UUID(b)
	}
	return out, nil
}

// AuthorChanges implements RealtimeService: the lists of the Revert that undoes what an author did in a
// room since a point (events.AuthorChanges), for the gateway's revert of a person.
func (s *Server) AuthorChanges(ctx context.Context, req *realtimev1.AuthorChangesRequest) (*realtimev1.AuthorChangesResponse, error) {
	room, author, err := parseRoomAuthor(req.GetRoomId(), req.GetAuthorId())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ch, err := events.AuthorChanges(ctx, s.Store, room, author, req.GetSinceSeq())
	switch {
	case errors.Is(err, events.ErrTooMuchHistory):
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "author changes: %v", err)
	}
	s.Log.Info("author changes read", "room", room, "author", author, "since", req.GetSinceSeq(), "head", ch.Head,
		"erase", len(ch.Erase), "restore", len(ch.Restore), "ms", msSince(start))
	return &realtimev1.AuthorChangesResponse{EraseStrokeIds: strokes.IDBytes(ch.Erase), RestoreStrokeIds: strokes.IDBytes(ch.Restore), HeadSeq: ch.Head}, nil
}
