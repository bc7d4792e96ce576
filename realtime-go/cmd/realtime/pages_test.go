package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// bigStroke is a stroke of the most points, about 40 KB: a zig-zag in a small box, two-byte deltas.
func bigStroke(i int) *strokev1.Stroke {
	id := uuid.New()
	pts := make([]int32, 0, 2*strokes.MaxPoints)
	pts = append(pts, int32(i*1000), 0)
	for k := 1; k < strokes.MaxPoints; k++ {
		d := int32(150 + k%2)
		if k%2 == 0 {
			d = -d
		}
		pts = append(pts, d, d)
	}
	return &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: 0xff, Width: 300, Quantum: 1, Points: pts}
}

// ingestBigRoom commits n big strokes over gRPC, in requests under gRPC's default 4 MiB message limit.
func ingestBigRoom(ctx context.Context, t *testing.T, api realtimev1.RealtimeServiceClient, room uuid.UUID, n int) {
	t.Helper()
	for i := 0; i < n; i += 40 {
		batch := make([]*strokev1.Stroke, 0, 40)
		for k := i; k < min(n, i+40); k++ {
			batch = append(batch, bigStroke(k))
		}
		if _, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(), Strokes: batch}); err != nil {
			t.Fatal(err)
		}
	}
}

// 320 strokes of 10,000 points are about 12.7 MB: every read of them comes in pages of at most
// REALTIME_PAGE_BYTES (1 MiB by default) — GetEvents, the WebSocket catch-up and FetchEvents — with
// has_more and more right, and together they hold every event once, in order.
func TestBigRoomIsReadInPagesUnderTheByteBudget(t *testing.T) {
	const budget = 1 << 20
	const n = 320
	r := startReplica(t)
	api := grpcClient(t, r.grpcAddr)
	room := uuid.New()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ingestBigRoom(ctx, t, api, room, n)

	var seqs []uint64
	pages := 0
	for after := uint64(0); ; pages++ {
		page, err := api.GetEvents(ctx, &realtimev1.GetEventsRequest{RoomId: room.String(), AfterSeq: after})
		if err != nil {
			t.Fatalf("page after %d: %v", after, err)
		}
		if size := proto.Size(page); size > budget || len(page.GetEvents()) == 0 {
			t.Fatalf("page after %d: %d bytes, %d events", after, size, len(page.GetEvents()))
		}
		for _, ev := range page.GetEvents() {
			seqs = append(seqs, ev.GetSeq())
		}
		after = seqs[len(seqs)-1]
		if page.GetHasMore() != (after < n) || page.GetHeadSeq() != n {
			t.Fatalf("page up to %d: has_more %v, head %d", after, page.GetHasMore(), page.GetHeadSeq())
		}
		if !page.GetHasMore() {
			break
		}
	}
	checkSeqs(t, "GetEvents", seqs, n)
	if pages < 12 {
		t.Fatalf("%d pages for %d bytes of strokes", pages, n*40_000)
	}

	var mu sync.Mutex
	var frames []int
	onFrame := func(b []byte) {
		mu.Lock()
		frames = append(frames, len(b))
		mu.Unlock()
	}
	c := dial(t, r, room, uuid.NewString(), "viewer", 0, client.Options{OnFrame: onFrame})
	if err := c.WaitSeq(ctx, n); err != nil {
		t.Fatal(err)
	}
	if v := c.Violations(); len(v) > 0 {
		t.Fatalf("catch-up broke the ordering contract: %v", v)
	}
	mu.Lock()
	checkFrames(t, "catch-up", frames, budget)
	mu.Unlock()

	// FetchEvents from a client that is up to date: one page, with more set.
	fetched := make(chan *realtimev1.EventBatch, 1)
	var fetchFrame int
	f := dial(t, r, room, uuid.NewString(), "viewer", n, client.Options{OnFrame: func(b []byte) {
		var sf realtimev1.ServerFrame
		if proto.Unmarshal(b, &sf) == nil && len(sf.GetMessages()) > 0 && sf.GetMessages()[0].GetEvents() != nil {
			fetchFrame = len(b)
			fetched <- sf.GetMessages()[0].GetEvents()
		}
	}})
	if err := f.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_FetchEvents{FetchEvents: &realtimev1.FetchEvents{AfterSeq: 0, Limit: 1000}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case batch := <-fetched:
		checkFrames(t, "FetchEvents", []int{fetchFrame}, budget)
		if len(batch.GetEvents()) == 0 || len(batch.GetEvents()) >= n || !batch.GetMore() {
			t.Fatalf("FetchEvents answered %d events, more %v", len(batch.GetEvents()), batch.GetMore())
		}
	case <-ctx.Done():
		t.Fatal("no answer to FetchEvents")
	}
}

func checkSeqs(t *testing.T, what string, seqs []uint64, n int) {
	t.Helper()
	if len(seqs) != n {
		t.Fatalf("%s: %d events, want %d", what, len(seqs), n)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("%s: event %d has seq %d", what, i, s)
		}
	}
}

func checkFrames(t *testing.T, what string, frames []int, budget int) {
	t.Helper()
	if len(frames) == 0 {
		t.Fatalf("%s: no frames", what)
	}
	for _, size := range frames {
		if size > budget {
			t.Fatalf("%s: a frame of %d bytes, the budget is %d (frames %v)", what, size, budget, frames)
		}
	}
}
