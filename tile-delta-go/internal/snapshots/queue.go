package snapshots

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/shared-go/strokes"
)

// job is one tile of one room to render, as it is now (at 0) or as it was right after event at: the
// two are distinct jobs.
type job struct {
	room uuid.UUID
	tile strokes.Tile
	at   uint64
}

// entry is the state of a tile in the queue.
type entry struct {
	queued  bool // waiting in a lane
	running bool // a worker renders it now
	urgent  bool // a reader waits for it: the next render goes through the urgent lane
	// waiters are told the result of the next render to start; current, of the one running now.
	waiters, current []chan<- error
}

// queue holds the tiles to render, each at most once: a tile asked for again while it renders is
// rendered once more afterwards (the running render may have read before the new commits), never twice
// at the same time. Tiles a reader waits for (urgent) go first; the others are taken one room at a
// time in turn, so a room catching up on a long log does not hold back the tiles of the rest.
type queue struct {
	mu       sync.Mutex
	entries  map[job]*entry
	urgent   []job
	normal   map[uuid.UUID][]job // per room, in the order asked
	turns    []uuid.UUID         // rooms with tiles in normal, the next to be served first
	signal   chan struct{}
	onChange func(depth int)
}

func newQueue(onChange func(depth int)) *queue {
	return &queue{entries: map[job]*entry{}, normal: map[uuid.UUID][]job{}, signal: make(chan struct{}, 1), onChange: onChange}
}

// ask queues the tile (or notes that it must be rendered again after the render running now). done,
// when not nil, receives the result of a render that starts after this call: it needs room for one
// value (finish never blocks). urgent puts it in the urgent lane.
func (q *queue) ask(j job, urgent bool, done chan<- error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.entries[j]
	if e == nil {
		e = &entry{}
		q.entries[j] = e
	}
	if done != nil {
		e.waiters = append(e.waiters, done)
	}
	switch {
	case e.queued && urgent && !e.urgent:
		// Also in the urgent lane; the copy in the normal lane is skipped once taken.
		e.urgent = true
		q.urgent = append(q.urgent, j)
	case e.queued:
	case e.running:
		// Re-queued when the running render finishes (finish).
		e.queued, e.urgent = true, e.urgent || urgent
		return
	default:
		e.queued, e.urgent = true, urgent
		q.push(j, urgent)
	}
	q.wake()
}

// size is the number of tiles queued or rendering.
func (q *queue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

func (q *queue) push(j job, urgent bool) {
	switch {
	case urgent:
		q.urgent = append(q.urgent, j)
	case len(q.normal[j.room]) == 0:
		q.turns = append(q.turns, j.room)
		fallthrough
	default:
		q.normal[j.room] = append(q.normal[j.room], j)
	}
	q.onChange(len(q.entries))
}

func (q *queue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take waits for a tile to render and marks it running; false when ctx ended.
func (q *queue) take(ctx context.Context) (job, bool) {
	for {
		q.mu.Lock()
		j, ok := q.pop()
		more := len(q.urgent)+len(q.turns) > 0
		q.mu.Unlock()
		if more {
			q.wake() // another worker may take the next one
		}
		if ok {
			return j, true
		}
		select {
		case <-ctx.Done():
			return job{}, false
		case <-q.signal:
		}
	}
}

// pop takes the first runnable tile of the urgent lane, else the first of the room whose turn it is
// (that room goes to the back of the turns), skipping stale copies (taken through the other lane, or
// running: finish queues it again).
func (q *queue) pop() (job, bool) {
	for len(q.urgent) > 0 {
		j := q.urgent[0]
		q.urgent = q.urgent[1:]
		if q.start(j) {
			return j, true
		}
	}
	for len(q.turns) > 0 {
		room := q.turns[0]
		q.turns = q.turns[1:]
		lane := q.normal[room]
		for len(lane) > 0 {
			j := lane[0]
			lane = lane[1:]
			if q.start(j) {
				if len(lane) > 0 {
					q.normal[room] = lane
					q.turns = append(q.turns, room)
				} else {
					delete(q.normal, room)
				}
				return j, true
			}
		}
		delete(q.normal, room)
	}
	return job{}, false
}

// start marks a queued tile running, unless the copy taken is stale.
func (q *queue) start(j job) bool {
	e := q.entries[j]
	if e == nil || !e.queued || e.running {
		return false
	}
	e.queued, e.urgent, e.running = false, false, true
	e.current, e.waiters = e.waiters, nil
	return true
}

// finish reports a render's result to its waiters and queues the tile again when it was asked for
// while it rendered.
func (q *queue) finish(j job, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.entries[j]
	for _, w := range e.current {
		w <- err
	}
	e.running, e.current = false, nil
	if e.queued {
		q.push(j, e.urgent)
		q.wake()
		return
	}
	delete(q.entries, j)
	q.onChange(len(q.entries))
}
