package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// Two replicas, clients on both drawing into one room at once, on a single Redis and on a Redis Cluster:
// every client ends with the identical gapless sequence, each stroke exactly once, and live strokes of one
// replica reach the other.
func TestTwoReplicasConcurrentDrawingSameOrder(t *testing.T) {
	for _, setup := range localtest.Redises(t) {
		t.Run(setup.Name, func(t *testing.T) { twoReplicasDrawing(t, setup) })
	}
}

func twoReplicasDrawing(t *testing.T, setup localtest.Redis) {
	a, b := startReplica(t, setup.Env()...), startReplica(t, setup.Env()...)
	room := uuid.New()
	const perReplica, strokesEach = 3, 15
	var live sync.Map // stroke ids seen as live StrokeBegin by a client of replica b
	var clients []*client.Client
	for i := 0; i < perReplica; i++ {
		clients = append(clients, dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{}))
		clients = append(clients, dial(t, b, room, uuid.NewString(), "editor", 0, client.Options{OnLive: func(l *realtimev1.Live) {
			if sb := l.GetStrokeBegin(); sb != nil {
				live.Store(string(sb.GetStroke().GetId()), true)
			}
		}}))
	}
	// A scanning viewer on each replica (Options.OnHeads, as the load generator reads) must see the seqs and
	// stroke ids the decoding clients see.
	type head struct {
		seq uint64
		id  string
	}
	scanned := make([][]head, 2)
	var scanners []*client.Client
	for i, r := range []*replica{a, b} {
		scanners = append(scanners, dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{OnHeads: func(hs []client.EventHead) {
			for _, h := range hs {
				scanned[i] = append(scanned[i], head{h.Seq, string(h.StrokeID)})
			}
		}}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	acked := map[string]uint64{}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < strokesEach; j++ {
				pts := scribble(int64(i*1000), int64(j*20), 12)
				s := client.PenStroke(pts, 300, 0xff0000ff)
				// Live streaming while "drawing", then the commit.
				if err := c.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: s}}}); err != nil {
					t.Error(err)
					return
				}
				r, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
				if err != nil || r.Ack == nil {
					t.Errorf("commit: %v %v", err, r.Error)
					return
				}
				mu.Lock()
				acked[string(s.GetId())] = r.Ack.GetSeq()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := uint64(len(clients) * strokesEach)
	if len(acked) != int(total) {
		t.Fatalf("%d strokes acknowledged, want %d", len(acked), total)
	}
	var reference []*roomv1.RoomEvent
	for i, c := range clients {
		if err := c.WaitSeq(ctx, total); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if v := c.Violations(); len(v) > 0 {
			t.Fatalf("client %d broke the ordering contract: %v", i, v)
		}
		evs := c.Events()
		if i == 0 {
			reference = evs
			seen := map[string]bool{}
			for k, ev := range evs {
				if ev.GetSeq() != uint64(k+1) {
					t.Fatalf("event %d has seq %d", k, ev.GetSeq())
				}
				id := string(ev.GetStrokeAdded().GetStroke().GetId())
				if seen[id] || acked[id] != ev.GetSeq() {
					t.Fatalf("stroke at seq %d: duplicate=%v, acked with seq %d", ev.GetSeq(), seen[id], acked[id])
				}
				seen[id] = true
			}
			continue
		}
		if !slices.EqualFunc(evs, reference, func(x, y *roomv1.RoomEvent) bool { return proto.Equal(x, y) }) {
			t.Fatalf("client %d saw a different sequence than client 0", i)
		}
	}
	for i, c := range scanners {
		if err := c.WaitSeq(ctx, total); err != nil {
			t.Fatalf("scanning client %d: %v", i, err)
		}
		if v := c.Violations(); len(v) > 0 {
			t.Fatalf("scanning client %d broke the ordering contract: %v", i, v)
		}
		want := make([]head, len(reference))
		for k, ev := range reference {
			want[k] = head{ev.GetSeq(), string(ev.GetStrokeAdded().GetStroke().GetId())}
		}
		// OnHeads runs on c's read loop before WaitSeq counts the batch, so scanned[i] is complete here.
		if !slices.Equal(scanned[i], want) {
			t.Fatalf("scanning client %d read %v, the decoding clients %v", i, scanned[i], want)
		}
	}
	// Clients of b saw the live strokes drawn on a (through Redis) as well as their own replica's.
	n := 0
	live.Range(func(_, _ any) bool { n++; return true })
	if n < int(total)-strokesEach { // everyone's but possibly their own
		t.Fatalf("clients of replica b saw %d live strokes, want at least %d", n, int(total)-strokesEach)
	}
}

// A client that rejoins with last seen N gets exactly the events after N, then live ones.
func TestRejoinReceivesExactlyTheMissedEvents(t *testing.T) {
	r := startReplica(t, "REALTIME_PAGE_SIZE=4") // several catch-up pages
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	author := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	for i := 0; i < 11; i++ {
		if rep, _, err := commit(ctx, author, scribble(0, int64(i), 5)); err != nil || rep.Ack == nil {
			t.Fatalf("commit %d: %v %v", i, err, rep.Error)
		}
	}
	late := dial(t, r, room, uuid.NewString(), "viewer", 3, client.Options{})
	if late.Welcome.GetHeadSeq() != 11 {
		t.Fatalf("welcome head %d, want 11", late.Welcome.GetHeadSeq())
	}
	for i := 0; i < 2; i++ {
		if rep, _, err := commit(ctx, author, scribble(50, int64(i), 5)); err != nil || rep.Ack == nil {
			t.Fatalf("live commit %d: %v", i, err)
		}
	}
	if err := late.WaitSeq(ctx, 13); err != nil {
		t.Fatal(err)
	}
	evs := late.Events()
	if len(evs) != 10 || evs[0].GetSeq() != 4 || evs[9].GetSeq() != 13 {
		t.Fatalf("rejoin with 3 got %d events from %d", len(evs), evs[0].GetSeq())
	}
	if v := late.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
}

// Commits are idempotent by stroke id; undo and redo act only on one's own actions.
func TestIdempotentCommitUndoRedoAndErase(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dial(t, r, room, uuid.NewString(), "editor", 0, client.Options{})
	bob := dial(t, r, room, uuid.NewString(), "owner", 0, client.Options{})

	s := client.PenStroke(scribble(0, 0, 8), 300, 0x000000ff)
	commitMsg := func() *realtimev1.ClientMessage {
		return &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}}
	}
	first, err := alice.Request(ctx, commitMsg())
	if err != nil || first.Ack == nil || first.Ack.GetDuplicate() {
		t.Fatalf("first commit: %v %+v", err, first)
	}
	again, err := alice.Request(ctx, commitMsg())
	if err != nil || again.Ack == nil || !again.Ack.GetDuplicate() || again.Ack.GetSeq() != first.Ack.GetSeq() {
		t.Fatalf("retried commit must be a duplicate with seq %d: %+v", first.Ack.GetSeq(), again)
	}
	undo := func(c *client.Client, id []byte) client.Reply {
		rep, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Undo{Undo: &realtimev1.Undo{ActionId: id}}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	redo := func(c *client.Client, id []byte) client.Reply {
		rep, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_Redo{Redo: &realtimev1.Redo{ActionId: id}}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := undo(bob, s.GetId()); rep.Error.GetCode() != realtimev1.ErrorCode_ERROR_CODE_PERMISSION_DENIED {
		t.Fatalf("bob undoing alice's stroke: %+v", rep)
	}
	if rep := undo(alice, s.GetId()); rep.Ack == nil || rep.Ack.GetSeq() != 2 {
		t.Fatalf("undo: %+v", rep)
	}
	if rep := undo(alice, s.GetId()); rep.Ack == nil || !rep.Ack.GetDuplicate() {
		t.Fatalf("second undo must change nothing: %+v", rep)
	}
	if rep := redo(alice, s.GetId()); rep.Ack == nil || rep.Ack.GetSeq() != 3 {
		t.Fatalf("redo: %+v", rep)
	}
	// Bob erases the stroke, undoes his erase, redoes it.
	eraseID := uuid.New()
	rep, err := bob.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{ActionId: eraseID[:], StrokeIds: [][]byte{s.GetId()}}}})
	if err != nil || rep.Ack == nil || rep.Ack.GetSeq() != 4 {
		t.Fatalf("erase: %v %+v", err, rep)
	}
	if rep := undo(bob, eraseID[:]); rep.Ack == nil || rep.Ack.GetSeq() != 5 {
		t.Fatalf("undo erase: %+v", rep)
	}
	if rep := redo(bob, eraseID[:]); rep.Ack == nil || rep.Ack.GetSeq() != 6 {
		t.Fatalf("redo erase: %+v", rep)
	}
	unknown := uuid.New()
	if rep := undo(alice, unknown[:]); rep.Error.GetCode() != realtimev1.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("undo of an unknown action: %+v", rep)
	}
	if err := alice.WaitSeq(ctx, 6); err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, ev := range alice.Events() {
		switch ev.GetKind().(type) {
		case *roomv1.RoomEvent_StrokeAdded:
			kinds += "A"
		case *roomv1.RoomEvent_StrokesErased:
			kinds += "E"
		case *roomv1.RoomEvent_StrokesRestored:
			kinds += "R"
		}
	}
	if kinds != "AERERE" {
		t.Fatalf("event kinds %q, want AERERE", kinds)
	}
}
