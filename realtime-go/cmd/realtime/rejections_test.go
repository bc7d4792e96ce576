package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
)

// Bad tokens, a foreign Origin and malformed or oversized frames are refused with a clear error and a
// close; the server keeps serving others.
func TestConnectionsRefused(t *testing.T) {
	r := startReplica(t, "REALTIME_MAX_FRAME_BYTES=4096")
	room := uuid.New()
	other := uuid.New()
	user, session := uuid.NewString(), uuid.NewString()
	tests := []struct {
		name    string
		roomID  string
		token   string
		origin  string
		wantErr string
	}{
		{"garbage token", room.String(), "not-a-jwt", "", "ERROR_CODE_UNAUTHENTICATED"},
		{"expired token", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, ttl: time.Minute, issuedAgo: 2 * time.Minute}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"token lives too long", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, ttl: time.Hour}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"token for another room", room.String(), token(t, tokenOpts{user: user, role: "editor", room: other}), "", "ERROR_CODE_PERMISSION_DENIED"},
		{"unknown role", room.String(), token(t, tokenOpts{user: user, role: "admin", room: room}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"no access versions", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, acc: map[string]int64{}}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"no version of the member scope", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, session: session,
			acc: map[string]int64{access.RoomScope(room): 0, access.SessionScope(session): 0}}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"no version of the link scope", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, session: session, link: uuid.NewString(),
			acc: map[string]int64{access.RoomScope(room): 0, access.MemberScope(room, user): 0, access.SessionScope(session): 0}}), "", "ERROR_CODE_UNAUTHENTICATED"},
		{"access expired", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room, axp: time.Now().Add(-time.Second)}), "", "ERROR_CODE_ACCESS_REVOKED"},
		{"foreign origin", room.String(), token(t, tokenOpts{user: user, role: "editor", room: room}), "http://evil.example", "HTTP 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := client.Dial(ctx, r.wsURL(), tt.roomID, tt.token, 0, client.Options{Origin: tt.origin})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %s", err, tt.wantErr)
			}
		})
	}
	// A good client is unaffected.
	good := dial(t, r, room, user, "editor", 0, client.Options{Origin: "http://good.example"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rep, _, err := commit(ctx, good, scribble(0, 0, 3)); err != nil || rep.Ack == nil {
		t.Fatalf("good client: %v %+v", err, rep)
	}
}

// Malformed frames close the connection with BAD_FRAME.
func TestMalformedFramesClose(t *testing.T) {
	r := startReplica(t, "REALTIME_MAX_FRAME_BYTES=4096")
	room := uuid.New()
	tests := []struct {
		name string
		typ  int
		data []byte
	}{
		{"text frame", websocket.TextMessage, []byte(`{"commit":1}`)},
		{"not protobuf", websocket.BinaryMessage, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"oversized frame", websocket.BinaryMessage, make([]byte, 8192)},
		{"second join", websocket.BinaryMessage, mustMarshal(&realtimev1.ClientFrame{Messages: []*realtimev1.ClientMessage{{Body: &realtimev1.ClientMessage_Join{Join: &realtimev1.Join{}}}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
			if err := c.SendRaw(tt.typ, tt.data); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("connection stayed open")
			}
			if f := c.Final(); f.GetCode() != realtimev1.ErrorCode_ERROR_CODE_BAD_FRAME || f.GetMessage() == "" {
				t.Fatalf("final error %+v, want BAD_FRAME with a message", f)
			}
		})
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Invalid requests get an error reply and store nothing; viewers cannot draw.
func TestRequestsRejected(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	editor := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	viewer := dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{})
	valid := func() *strokev1.Stroke { return client.PenStroke(scribble(0, 0, 4), 300, 0xff) }
	withStroke := func(f func(*strokev1.Stroke)) *realtimev1.ClientMessage {
		s := valid()
		f(s)
		return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}}
	}
	tests := []struct {
		name string
		c    *client.Client
		msg  *realtimev1.ClientMessage
		want realtimev1.ErrorCode
	}{
		{"viewer commits", viewer, withStroke(func(*strokev1.Stroke) {}), realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED},
		{"viewer erases", viewer, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: make([]byte, 16), StrokeIds: [][]byte{make([]byte, 16)}}}}, realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED},
		{"viewer streams a live stroke", viewer, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: valid()}}}, realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED},
		{"short id", editor, withStroke(func(s *strokev1.Stroke) { s.Id = s.Id[:8] }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"no tool", editor, withStroke(func(s *strokev1.Stroke) { s.Tool = 0 }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"zero width", editor, withStroke(func(s *strokev1.Stroke) { s.Width = 0 }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"huge width", editor, withStroke(func(s *strokev1.Stroke) { s.Width = 1 << 30 }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"no points", editor, withStroke(func(s *strokev1.Stroke) { s.Points = nil }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"odd points", editor, withStroke(func(s *strokev1.Stroke) { s.Points = s.Points[:3] }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"outside the world", editor, withStroke(func(s *strokev1.Stroke) { s.Quantum = 1; s.Points = []int32{2_000_000_000, 0} }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"too many points", editor, withStroke(func(s *strokev1.Stroke) { s.Points = make([]int32, 2*10_001) }), realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"erase nothing", editor, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: make([]byte, 16)}}}, realtimev1.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{"erase unknown strokes", editor, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: uuidBytes(), StrokeIds: [][]byte{uuidBytes()}}}}, realtimev1.ErrorCode_ERROR_CODE_NOT_FOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := tt.c.Request(ctx, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Error.GetCode() != tt.want || rep.Error.GetMessage() == "" {
				t.Fatalf("reply %+v, want %s with a message", rep, tt.want)
			}
		})
	}
	// Nothing was stored, and the connections stay usable.
	if rep, _, err := commit(ctx, editor, scribble(0, 0, 3)); err != nil || rep.Ack.GetSeq() != 1 {
		t.Fatalf("after rejections the first stored event must be seq 1: %v %+v", err, rep)
	}
	if err := viewer.WaitSeq(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func uuidBytes() []byte {
	u := uuid.New()
	return u[:]
}

// The message rate per connection is bounded.
func TestRateLimit(t *testing.T) {
	r := startReplica(t, "REALTIME_MESSAGES_PER_SECOND=5")
	room := uuid.New()
	c := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		rep, _, err := commit(ctx, c, scribble(0, int64(i), 3))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		limited = rep.Error.GetCode() == realtimev1.ErrorCode_ERROR_CODE_RATE_LIMITED && rep.Error.GetRetryAfterMs() > 0
	}
	if !limited {
		t.Fatal("30 commits at once at 5 messages per second were never rate limited")
	}
}
