package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// commitStrokes stores n strokes of one author in room, in one batch.
func commitStrokes(ctx context.Context, t *testing.T, store events.Store, room uuid.UUID, n int) []events.Command {
	t.Helper()
	author := uuid.New()
	cmds := make([]events.Command, n)
	for i := range cmds {
		id := uuid.New()
		cmds[i] = events.Command{Op: events.OpAddStroke, Room: room, Author: author, ActionID: id, Stroke: Stroke(t, id, false)}
	}
	results, _, err := events.Apply(ctx, store, cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil || r.Duplicate {
			t.Fatalf("stroke %d: %+v", i, r)
		}
	}
	return cmds
}

// A page holds the events after a sequence number, at most Limit of them, and at most Bytes counted as
// payloads plus the framings, but always the first.
func testPages(t *testing.T, store events.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := uuid.New()
	cmds := commitStrokes(ctx, t, store, room, 5)
	// The strokes differ only by id: every event's payload has the same size.
	size := proto.Size(&roomv1.StrokeAdded{Stroke: cmds[0].Stroke.Msg}) + events.EventFraming
	for _, tc := range []struct {
		name  string
		after uint64
		page  events.Page
		want  []uint64
	}{
		{"every event", 0, events.Page{Limit: 100, Bytes: 1 << 20}, []uint64{1, 2, 3, 4, 5}},
		{"after a sequence number", 3, events.Page{Limit: 100, Bytes: 1 << 20}, []uint64{4, 5}},
		{"bounded by count", 1, events.Page{Limit: 2, Bytes: 1 << 20}, []uint64{2, 3}},
		{"bounded by bytes", 0, events.Page{Limit: 100, Bytes: events.PageFraming + 2*size}, []uint64{1, 2}},
		{"a byte short of two events", 0, events.Page{Limit: 100, Bytes: events.PageFraming + 2*size - 1}, []uint64{1}},
		{"the first event whatever its size", 2, events.Page{Limit: 100, Bytes: 1}, []uint64{3}},
		{"nothing after the head", 5, events.Page{Limit: 100, Bytes: 1 << 20}, []uint64{}},
	} {
		evs, head, err := store.EventsAfter(ctx, room, tc.after, tc.page)
		if err != nil {
			t.Fatal(err)
		}
		got := []uint64{}
		for _, e := range evs {
			parsed, err := events.ParseEvent(e.Encoded)
			if err != nil || parsed.Seq != e.Seq {
				t.Fatalf("%s: event %d encodes seq %d (%v)", tc.name, e.Seq, parsed.Seq, err)
			}
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, tc.want) || head != 5 {
			t.Errorf("%s: seqs %v head %d, want %v head 5", tc.name, got, head, tc.want)
		}
	}
}

// Purge deletes a room's events and state and keeps its head: the next event follows it, and a stroke
// of the purged room is new again.
func testPurge(t *testing.T, store events.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := uuid.New()
	if head, err := store.Head(ctx, room); err != nil || head != 0 {
		t.Fatalf("head of a new room: %d, %v", head, err)
	}
	if n, err := store.Purge(ctx, room); err != nil || n != 0 {
		t.Fatalf("purge of a new room: %d, %v", n, err)
	}
	cmds := commitStrokes(ctx, t, store, room, 3)
	if n, err := store.Purge(ctx, room); err != nil || n != 3 {
		t.Fatalf("purge: %d events, %v; want 3", n, err)
	}
	evs, head, err := store.EventsAfter(ctx, room, 0, events.Page{Limit: 100, Bytes: 1 << 20})
	if err != nil || len(evs) != 0 || head != 3 {
		t.Fatalf("after the purge: %d events, head %d, %v; want none and head 3", len(evs), head, err)
	}
	if head, err := store.Head(ctx, room); err != nil || head != 3 {
		t.Fatalf("head after the purge: %d, %v", head, err)
	}
	results, _, err := events.Apply(ctx, store, cmds[:1])
	if err != nil || results[0].Err != nil || results[0].Duplicate || results[0].Seq != 4 {
		t.Fatalf("the first stroke again after the purge: %+v %v, want a new event at seq 4", results, err)
	}
}
