package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

func commitMsg(s *strokev1.Stroke) *realtimev1.ClientMessage {
	return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}}
}

func eraseMsg(action []byte, ids ...[]byte) *realtimev1.ClientMessage {
	return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: action, StrokeIds: ids}}}
}

// withID is s under another id.
func withID(s *strokev1.Stroke, id []byte) *strokev1.Stroke {
	c := proto.Clone(s).(*strokev1.Stroke)
	c.Id = id
	return c
}

// request sends m and fails the test unless the reply is an Ack (wantCode unspecified) or an Error with
// wantCode.
func request(ctx context.Context, t *testing.T, c *client.Client, m *realtimev1.ClientMessage, wantCode realtimev1.ErrorCode) client.Reply {
	t.Helper()
	rep, err := c.Request(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if wantCode == realtimev1.ErrorCode_ERROR_CODE_UNSPECIFIED && rep.Ack == nil {
		t.Fatalf("want an ack, got %+v", rep.Error)
	}
	if wantCode != realtimev1.ErrorCode_ERROR_CODE_UNSPECIFIED && rep.Error.GetCode() != wantCode {
		t.Fatalf("want %s, got ack %+v error %+v", wantCode, rep.Ack, rep.Error)
	}
	return rep
}

// storedEvents reads every event of a room over gRPC.
func storedEvents(ctx context.Context, t *testing.T, api realtimev1.RealtimeServiceClient, room uuid.UUID) []*roomv1.RoomEvent {
	t.Helper()
	var out []*roomv1.RoomEvent
	for after := uint64(0); ; {
		page, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), AfterSeq: after})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.GetEvents()...)
		if !page.GetHasMore() {
			return out
		}
		after = page.GetEvents()[len(page.GetEvents())-1].GetSeq()
	}
}

// Bob commits stroke X; Alice commits a different stroke as X (or even the same one: she is not its
// author) and is told CONFLICT: nothing of hers is stored and Bob's stroke stays his. Under a new id her
// stroke commits; Bob's own retry of X stays an idempotent duplicate.
func TestStrokeIDOfAnotherAuthorIsAConflict(t *testing.T) {
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bobID, aliceID := uuid.NewString(), uuid.NewString()
	bob := dial(t, r, room, bobID, "editor", 0, client.Options{})
	alice := dial(t, r, room, aliceID, "editor", 0, client.Options{})

	x := client.PenStroke(scribble(0, 0, 20), 300, 0x112233ff)
	first := request(ctx, t, bob, commitMsg(x), 0).Ack.GetSeq()
	hers := withID(client.PenStroke(scribble(500, 500, 8), 900, 0xff0000ff), x.GetId())
	for _, s := range []*strokev1.Stroke{hers, x} {
		rep := request(ctx, t, alice, commitMsg(s), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
		if !strings.Contains(rep.Error.GetMessage(), uuid.UUID(x.GetId()).String()) {
			t.Fatalf("the conflict must name the id: %q", rep.Error.GetMessage())
		}
	}
	if again := request(ctx, t, bob, commitMsg(x), 0).Ack; !again.GetDuplicate() || again.GetSeq() != first {
		t.Fatalf("Bob's retry: %+v, want a duplicate of seq %d", again, first)
	}
	fresh := uuid.New()
	second := request(ctx, t, alice, commitMsg(withID(hers, fresh[:])), 0).Ack
	if second.GetDuplicate() || second.GetSeq() != first+1 {
		t.Fatalf("Alice's stroke under a new id: %+v", second)
	}

	evs := storedEvents(ctx, t, api, room)
	if len(evs) != 2 {
		t.Fatalf("%d events stored, want Bob's and Alice's", len(evs))
	}
	if evs[0].GetAuthorId() != bobID || !proto.Equal(evs[0].GetStrokeAdded().GetStroke(), x) {
		t.Fatalf("Bob's stroke changed: %+v", evs[0])
	}
	if evs[1].GetAuthorId() != aliceID || !proto.Equal(evs[1].GetStrokeAdded().GetStroke(), withID(hers, fresh[:])) {
		t.Fatalf("Alice's stroke: %+v", evs[1])
	}
}

// An erase action id is Bob's once he used it: Alice reusing it for another erase, or as a stroke id,
// is a conflict; Bob's retry is a duplicate. A stroke id cannot become an erase action id either, so
// undo always finds one's own action.
func TestEraseActionIDOfAnotherAuthorIsAConflict(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bob := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	alice := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})

	s1, s2 := client.PenStroke(scribble(0, 0, 5), 300, 0xff), client.PenStroke(scribble(50, 0, 5), 300, 0xff)
	mine := client.PenStroke(scribble(90, 0, 5), 300, 0xff)
	request(ctx, t, bob, commitMsg(s1), 0)
	request(ctx, t, bob, commitMsg(s2), 0)
	request(ctx, t, alice, commitMsg(mine), 0)
	action := uuid.New()
	erased := request(ctx, t, bob, eraseMsg(action[:], s1.GetId()), 0).Ack.GetSeq()

	request(ctx, t, alice, eraseMsg(action[:], s2.GetId()), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
	request(ctx, t, alice, eraseMsg(action[:], s1.GetId()), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
	request(ctx, t, bob, eraseMsg(action[:], s2.GetId()), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
	request(ctx, t, alice, commitMsg(withID(mine, action[:])), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
	request(ctx, t, alice, eraseMsg(s1.GetId(), mine.GetId()), realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
	if again := request(ctx, t, bob, eraseMsg(action[:], s1.GetId()), 0).Ack; !again.GetDuplicate() || again.GetSeq() != erased {
		t.Fatalf("Bob's retry: %+v, want a duplicate of seq %d", again, erased)
	}
	// Bob can still undo his erase, and only Bob.
	undo := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Undo{Undo: &realtimev1.Undo{ActionId: action[:]}}}
	request(ctx, t, alice, undo, realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED)
	if rep := request(ctx, t, bob, undo, 0).Ack; rep.GetDuplicate() {
		t.Fatalf("undo of Bob's erase did nothing: %+v", rep)
	}
}

// Over gRPC (and so REST) a stroke id of another author or another stroke is ALREADY_EXISTS naming the
// stroke; the same author's retry is a duplicate.
func TestIngestStrokesConflict(t *testing.T) {
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bob, alice := uuid.NewString(), uuid.NewString()
	x := client.PenStroke(scribble(0, 0, 10), 300, 0xff)
	ingest := func(author string, ss ...*strokev1.Stroke) (*realtimev1.IngestStrokesResponse, error) {
		return api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: author, Strokes: ss})
	}
	if _, err := ingest(bob, x); err != nil {
		t.Fatal(err)
	}
	other := client.PenStroke(scribble(30, 30, 4), 300, 0xff)
	for _, tt := range []struct {
		name   string
		author string
		s      *strokev1.Stroke
	}{
		{"another author, same stroke", alice, x},
		{"another author, another stroke", alice, withID(other, x.GetId())},
		{"same author, another stroke", bob, withID(other, x.GetId())},
	} {
		_, err := ingest(tt.author, client.PenStroke(scribble(60, 60, 4), 300, 0xff), tt.s)
		if status.Code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "stroke 1") ||
			!strings.Contains(err.Error(), uuid.UUID(x.GetId()).String()) {
			t.Fatalf("%s: %v, want ALREADY_EXISTS naming stroke 1 and its id", tt.name, err)
		}
	}
	again, err := ingest(bob, x)
	if err != nil || !again.GetResults()[0].GetDuplicate() || again.GetResults()[0].GetSeq() != 1 {
		t.Fatalf("Bob's retry: %v %+v", err, again)
	}
}

// Unknown fields of a stroke are never stored: the stored stroke holds the known fields, and the same
// stroke without them is a duplicate of it.
func TestStoredStrokesHoldKnownFieldsOnly(t *testing.T) {
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	s := client.PenStroke(scribble(0, 0, 6), 300, 0xff)
	padded := proto.Clone(s).(*strokev1.Stroke)
	padded.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), make([]byte, 4096)))
	request(ctx, t, c, commitMsg(padded), 0)
	if rep := request(ctx, t, c, commitMsg(s), 0).Ack; !rep.GetDuplicate() {
		t.Fatalf("the stroke without the unknown field must be a duplicate: %+v", rep)
	}
	evs := storedEvents(ctx, t, api, room)
	stored := evs[0].GetStrokeAdded().GetStroke()
	if len(stored.ProtoReflect().GetUnknown()) != 0 || !proto.Equal(stored, s) {
		t.Fatalf("stored stroke keeps %d unknown bytes", len(stored.ProtoReflect().GetUnknown()))
	}
}

// liveLog collects the live messages a client receives.
type liveLog struct {
	mu    sync.Mutex
	items []*realtimev1.Live
	added chan struct{}
}

func newLiveLog() *liveLog { return &liveLog{added: make(chan struct{}, 1024)} }

func (l *liveLog) add(m *realtimev1.Live) {
	l.mu.Lock()
	l.items = append(l.items, m)
	l.mu.Unlock()
	l.added <- struct{}{}
}

func (l *liveLog) all() []*realtimev1.Live {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*realtimev1.Live(nil), l.items...)
}

// waitFor waits until a received live message satisfies match.
func (l *liveLog) waitFor(ctx context.Context, t *testing.T, what string, match func(*realtimev1.Live) bool) *realtimev1.Live {
	t.Helper()
	for {
		for _, m := range l.all() {
			if match(m) {
				return m
			}
		}
		select {
		case <-l.added:
		case <-ctx.Done():
			t.Fatalf("never received %s", what)
		}
	}
}

func liveID(m *realtimev1.Live) []byte {
	switch b := m.GetBody().(type) {
	case *realtimev1.Live_StrokeBegin:
		return b.StrokeBegin.GetStroke().GetId()
	case *realtimev1.Live_StrokeMore:
		return b.StrokeMore.GetStrokeId()
	case *realtimev1.Live_StrokeEnd:
		return b.StrokeEnd.GetStrokeId()
	}
	return nil
}

// A live stroke belongs to the session that began it, on every replica: another session cannot begin
// it again, continue it or end it, and nothing it sends about it is relayed.
func TestLiveStrokeBelongsToItsSession(t *testing.T) {
	a, b := startReplica(t), startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seenA, seenB := newLiveLog(), newLiveLog()
	bob := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	aliceA := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	aliceB := dial(t, b, room, uuid.NewString(), "editor", 0, client.Options{})
	dial(t, a, room, uuid.NewString(), "viewer", 0, client.Options{OnLive: seenA.add})
	dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{OnLive: seenB.add})

	x := client.PenStroke(scribble(0, 0, 4), 300, 0xff)
	bobs := func(m *realtimev1.Live) bool { return m.GetSessionId() == bob.Welcome.GetSessionId() }
	if err := bob.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: x}}}); err != nil {
		t.Fatal(err)
	}
	// Replica b knows Bob's stroke once its viewer saw it begin.
	seenB.waitFor(ctx, t, "Bob's StrokeBegin on replica b", func(m *realtimev1.Live) bool { return bobs(m) && m.GetStrokeBegin() != nil })

	more := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: x.GetId(), Points: []int32{100, 100}}}}
	end := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeEnd{StrokeEnd: &realtimev1.StrokeEnd{StrokeId: x.GetId(), Cancelled: true}}}
	begin := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: withID(client.PenStroke(scribble(9, 9, 3), 300, 0xff), x.GetId())}}}
	for _, alice := range []*client.Client{aliceA, aliceB} {
		request(ctx, t, alice, begin, realtimev1.ErrorCode_ERROR_CODE_CONFLICT)
		request(ctx, t, alice, proto.Clone(more).(*realtimev1.ClientMessage), realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED)
		request(ctx, t, alice, proto.Clone(end).(*realtimev1.ClientMessage), realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED)
	}
	// Alice's messages were refused before Bob sends his: once both viewers have Bob's, anything of
	// Alice's that was relayed would have arrived.
	if err := bob.Send(more, end); err != nil {
		t.Fatal(err)
	}
	for _, seen := range []*liveLog{seenA, seenB} {
		seen.waitFor(ctx, t, "Bob's StrokeEnd", func(m *realtimev1.Live) bool { return bobs(m) && m.GetStrokeEnd() != nil })
		for _, m := range seen.all() {
			if string(liveID(m)) == string(x.GetId()) && !bobs(m) {
				t.Fatalf("a message of another session about Bob's stroke was relayed: %v", m)
			}
		}
	}
}
