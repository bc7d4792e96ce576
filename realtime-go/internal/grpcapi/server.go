// Package grpcapi is realtime-go's gRPC transport for the gateway (RealtimeService): it maps requests
// to the event store, the writer and the hub, and domain errors to status codes.
package grpcapi

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/hub"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// PageCache is the cache of first pages (since=0 reads), valid for the room's head they were read at.
type PageCache interface {
	Get(ctx context.Context, room uuid.UUID, page events.Page, head uint64) ([]byte, error)
	Set(ctx context.Context, room uuid.UUID, page events.Page, head uint64, data []byte) error
	Forget(ctx context.Context, room uuid.UUID, page events.Page) error
}

// Server implements RealtimeService.
type Server struct {
	realtimev1.UnimplementedRealtimeServiceServer
	Store  events.Store
	Writer interface{ Submit(*events.Request) error }
	Hub    *hub.Hub
	Cache  PageCache
	Log    *slog.Logger
	// DefaultPage and MaxPage bound the events of a GetEvents page, PageBytes its size; MaxIngest bounds
	// the strokes of one IngestStrokes.
	DefaultPage, MaxPage, PageBytes, MaxIngest int
	// CacheTimeout bounds each use of the page cache: a slow cache only costs a read from the database.
	CacheTimeout time.Duration
}

func parseRoom(id string) (uuid.UUID, error) { return parseUUID("room_id", id) }

// parseRoomAuthor reads the room and author ids of a request made on an author's behalf.
func parseRoomAuthor(roomID, authorID string) (room, author uuid.UUID, err error) {
	if room, err = parseRoom(roomID); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if author, err = parseUUID("author_id", authorID); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return room, author, nil
}

// parseUUID reads the UUID of a request's string field.
func parseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, status.Errorf(codes.InvalidArgument, "%s %q is not a UUID", field, s)
	}
	return id, nil
}

// GetEvents implements RealtimeService. Pages are bounded by count and by size (PageBytes), so that a
// page of big strokes fits a client's message limit. The first page of the default size is served from
// the cache when the room's head has not moved since it was cached.
func (s *Server) GetEvents(ctx context.Context, req *realtimev1.GetEventsRequest) (*realtimev1.GetEventsResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	if limit <= 0 {
		limit = s.DefaultPage
	}
	if limit > s.MaxPage {
		return nil, status.Errorf(codes.InvalidArgument, "limit %d exceeds %d", limit, s.MaxPage)
	}
	start := time.Now()
	page := events.Page{Limit: limit, Bytes: s.PageBytes}
	cacheable := req.GetAfterSeq() == 0 && limit == s.DefaultPage
	if cacheable {
		head, err := s.Store.Head(ctx, room)
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "read head: %v", err)
		}
		if resp := s.cached(ctx, room, page, head); resp != nil {
			s.Log.Info("events read", "room", room, "after", 0, "events", len(resp.GetEvents()), "cache", "hit", "total_ms", msSince(start))
			return resp, nil
		}
	}
	evs, head, err := s.Store.EventsAfter(ctx, room, req.GetAfterSeq(), page)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "read events: %v", err)
	}
	dbMs := msSince(start)
	// The gateway logs db= and total= per request (roadmap 1.4); it reads the database time from here.
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-db-ms", strconv.FormatFloat(dbMs, 'f', 3, 64)))
	resp := &realtimev1.GetEventsResponse{HeadSeq: head}
	resp.Events = make([]*roomv1.RoomEvent, len(evs))
	for i, ev := range evs {
		resp.Events[i] = &roomv1.RoomEvent{}
		if err := proto.Unmarshal(ev.Encoded, resp.Events[i]); err != nil {
			return nil, status.Errorf(codes.DataLoss, "stored event %d: %v", ev.Seq, err)
		}
	}
	resp.HasMore = len(evs) > 0 && evs[len(evs)-1].Seq < head
	cache := "none"
	if cacheable {
		cache = "miss"
		if data, err := proto.Marshal(resp); err == nil {
			cctx, cancel := context.WithTimeout(ctx, s.CacheTimeout)
			err = s.Cache.Set(cctx, room, page, head, data)
			cancel()
			if err != nil {
				s.Log.Warn("page cache write failed", "room", room, "err", err)
			}
		}
	}
	s.Log.Info("events read", "room", room, "after", req.GetAfterSeq(), "events", len(evs), "cache", cache, "db_ms", dbMs, "total_ms", msSince(start))
	return resp, nil
}

// cached returns the room's cached first page read at head, or nil.
func (s *Server) cached(ctx context.Context, room uuid.UUID, page events.Page, head uint64) *realtimev1.GetEventsResponse {
	cctx, cancel := context.WithTimeout(ctx, s.CacheTimeout)
	data, err := s.Cache.Get(cctx, room, page, head)
	cancel()
	if err != nil {
		s.Log.Warn("page cache read failed", "room", room, "err", err)
	}
	if data == nil {
		return nil
	}
	resp := &realtimev1.GetEventsResponse{}
	if err := proto.Unmarshal(data, resp); err != nil {
		return nil
	}
	return resp
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// IngestStrokes implements RealtimeService with the validation and idempotency of /ws: a stroke id
// already used by another stroke or author is ALREADY_EXISTS, naming the stroke.
func (s *Server) IngestStrokes(ctx context.Context, req *realtimev1.IngestStrokesRequest) (*realtimev1.IngestStrokesResponse, error) {
	room, author, err := parseRoomAuthor(req.GetRoomId(), req.GetAuthorId())
	if err != nil {
		return nil, err
	}
	n := len(req.GetStrokes())
	if n == 0 || n > s.MaxIngest {
		return nil, status.Errorf(codes.InvalidArgument, "send 1..%d strokes, got %d", s.MaxIngest, n)
	}
	cmds := make([]events.Command, n)
	for i, st := range req.GetStrokes() {
		v, err := strokes.Validate(st)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "stroke %d: %v", i, err)
		}
		cmds[i] = events.Command{Op: events.OpAddStroke, Room: room, Author: author, Stroke: v, ActionID: uuid.UUID(st.GetId())}
	}
	results := make([]events.Result, n)
	done := make(chan int, n)
	for i := range cmds {
		err := s.Writer.Submit(&events.Request{Cmd: cmds[i], Done: func(r events.Result) { results[i] = r; done <- i }})
		if err != nil {
			// Strokes already queued still commit; the caller retries all of them, idempotently.
			return nil, status.Error(codes.ResourceExhausted, err.Error())
		}
	}
	for range n {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	resp := &realtimev1.IngestStrokesResponse{Results: make([]*realtimev1.IngestResult, n)}
	for i, r := range results {
		if r.Err != nil {
			return nil, status.Errorf(statusCode(r.Err), "stroke %d (id %s): %v", i, uuid.UUID(req.GetStrokes()[i].GetId()), r.Err)
		}
		resp.Results[i] = &realtimev1.IngestResult{StrokeId: req.GetStrokes()[i].GetId(), Seq: r.Seq, Duplicate: r.Duplicate}
	}
	return resp, nil
}

// statusCode maps a command's error to its gRPC code.
func statusCode(err error) codes.Code {
	switch events.CodeOf(err) {
	case events.CodeInvalid:
		return codes.InvalidArgument
	case events.CodePermissionDenied:
		return codes.PermissionDenied
	case events.CodeNotFound:
		return codes.NotFound
	case events.CodeOverloaded:
		return codes.ResourceExhausted
	case events.CodeConflict:
		return codes.AlreadyExists
	default:
		return codes.Unavailable // storing failed: the caller retries
	}
}

// GetPresence implements RealtimeService.
func (s *Server) GetPresence(ctx context.Context, req *realtimev1.GetPresenceRequest) (*realtimev1.GetPresenceResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	peers, err := s.Hub.Peers(ctx, room)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "presence: %v", err)
	}
	return &realtimev1.GetPresenceResponse{Peers: peers}, nil
}

// CloseRoom implements RealtimeService. Closing with purge is how the gateway deletes a room: the
// connections end with ACCESS_REVOKED (the access ended, as a new token request will tell), otherwise
// with ROOM_CLOSED.
func (s *Server) CloseRoom(ctx context.Context, req *realtimev1.CloseRoomRequest) (*realtimev1.CloseRoomResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	reason := realtimev1.ErrorCode_ERROR_CODE_ROOM_CLOSED
	if req.GetPurge() {
		reason = realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED
	}
	resp := &realtimev1.CloseRoomResponse{Disconnected: uint32(s.Hub.Disconnect(room, "", reason))}
	if req.GetPurge() {
		n, err := s.Store.Purge(ctx, room)
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "purge: %v", err)
		}
		resp.PurgedEvents = uint64(n)
		// The head stays, so a cached first page would still match it. The gateway retries a purge
		// until it succeeds, and purging again is harmless.
		cctx, cancel := context.WithTimeout(ctx, s.CacheTimeout)
		err = s.Cache.Forget(cctx, room, events.Page{Limit: s.DefaultPage, Bytes: s.PageBytes})
		cancel()
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "purge: drop the cached first page: %v", err)
		}
	}
	return resp, nil
}

// DisconnectUser implements RealtimeService: the gateway's fast path when a member's access ends (the
// access versions end the connections within a poll in any case).
func (s *Server) DisconnectUser(_ context.Context, req *realtimev1.DisconnectUserRequest) (*realtimev1.DisconnectUserResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	if _, err := parseUUID("user_id", req.GetUserId()); err != nil {
		return nil, err
	}
	return &realtimev1.DisconnectUserResponse{Disconnected: uint32(s.Hub.Disconnect(room, req.GetUserId(), realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED))}, nil
}
