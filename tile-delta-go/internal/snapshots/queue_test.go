package snapshots

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

func newTestQueue() *queue { return newQueue(func(int) {}) }

// takeNow is take without waiting: the next runnable tile, if any.
func takeNow(t *testing.T, q *queue) (job, bool) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pop()
}

// The queue holds a tile once, serves urgent tiles first, never hands out a tile that is rendering,
// and renders a tile asked for while it rendered once more, telling each waiter about a render that
// started after it asked. A tile as it was at a past point is a job of its own.
func TestQueue(t *testing.T) {
	room := uuid.New()
	a, b, c := job{room: room, tile: strokes.Tile{X: 1}}, job{room: room, tile: strokes.Tile{X: 2}}, job{room: room, tile: strokes.Tile{X: 3}}
	aPast := job{room: room, tile: a.tile, at: 7}
	q := newTestQueue()
	q.ask(a, false, nil)
	q.ask(b, false, nil)
	q.ask(a, false, nil)     // duplicate
	q.ask(aPast, false, nil) // not a duplicate: the same tile at another point
	q.ask(c, true, nil)      // urgent
	q.ask(b, true, nil)      // hurried: moves ahead of a
	var order []job
	for {
		j, ok := takeNow(t, q)
		if !ok {
			break
		}
		order = append(order, j)
	}
	if want := []job{c, b, a, aPast}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", order, want)
	}

	// a is running: asking again does not hand it out twice, but queues a rerun for the new waiter.
	early, late := make(chan error, 1), make(chan error, 1)
	q2 := newTestQueue()
	q2.ask(a, false, early)
	if j, ok := takeNow(t, q2); !ok || j != a {
		t.Fatal("a not taken")
	}
	q2.ask(a, false, late)
	if _, ok := takeNow(t, q2); ok {
		t.Fatal("a tile was handed out while it renders")
	}
	boom := errors.New("boom")
	q2.finish(a, boom)
	if err := <-early; !errors.Is(err, boom) {
		t.Fatalf("early waiter got %v", err)
	}
	select {
	case err := <-late:
		t.Fatalf("the late waiter was told about a render that started before it asked (%v)", err)
	default:
	}
	if j, ok := takeNow(t, q2); !ok || j != a {
		t.Fatal("the rerun was not queued")
	}
	q2.finish(a, nil)
	if err := <-late; err != nil {
		t.Fatalf("late waiter got %v", err)
	}
	if n := q2.size(); n != 0 {
		t.Fatalf("%d tiles left", n)
	}
}

// Rooms take turns in the normal lane: a room that queued many tiles first does not hold back another
// room's tile behind all of them, and each room's tiles keep their order.
func TestQueueRoomsTakeTurns(t *testing.T) {
	big, small := uuid.New(), uuid.New()
	tile := func(room uuid.UUID, x int32) job { return job{room: room, tile: strokes.Tile{X: x}} }
	q := newTestQueue()
	for x := range int32(4) {
		q.ask(tile(big, x), false, nil)
	}
	q.ask(tile(small, 0), false, nil)
	q.ask(tile(small, 1), false, nil)
	q.ask(tile(big, 0), true, nil) // urgent: first, and its normal copy is skipped
	want := []job{tile(big, 0), tile(big, 1), tile(small, 0), tile(big, 2), tile(small, 1), tile(big, 3)}
	for i, w := range want {
		j, ok := takeNow(t, q)
		if !ok || j != w {
			t.Fatalf("take %d: %v (%v), want %v", i, j, ok, w)
		}
		q.finish(j, nil)
	}
	if j, ok := takeNow(t, q); ok {
		t.Fatalf("%v left after every tile was taken", j)
	}
	if n := q.size(); n != 0 {
		t.Fatalf("%d entries left", n)
	}
}

// Workers blocked in take wake up for new tiles and stop with their context.
func TestQueueTakeWaits(t *testing.T) {
	q := newTestQueue()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan job)
	go func() {
		for {
			j, ok := q.take(ctx)
			if !ok {
				close(got)
				return
			}
			got <- j
			q.finish(j, nil)
		}
	}()
	want := job{room: uuid.New(), tile: strokes.Tile{Level: 2}}
	q.ask(want, false, nil)
	select {
	case j := <-got:
		if j != want {
			t.Fatalf("took %v, want %v", j, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting worker did not take the tile")
	}
	cancel()
	if _, ok := <-got; ok {
		t.Fatal("take returned a tile after its context ended")
	}
}

// Hurry moves only so many tiles ahead: past Policy.Queue it drops the request.
func TestHurryIsBounded(t *testing.T) {
	s, _ := newSnapshotter(t, Policy{Workers: 1, Queue: 2, Timeout: time.Second})
	room := uuid.New()
	for x := range int32(4) {
		s.Hurry(room, strokes.Tile{X: x}, 0)
	}
	if n := s.queue.size(); n != 2 {
		t.Fatalf("%d tiles queued, want 2", n)
	}
}
