package bigroom

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/infidraw/infidraw/realtime-go/client"
)

// received is what one client got: bytes and frames (WebSocket messages) on the wire, the strokes inside its viewport (with their commit
// → delivery latency) and how many committed strokes came from outside the margin a view is promised.
// Its client's read loop records; the run reads it when the loads are over.
type received struct {
	viewport, grown Rect
	strokes         *committed
	bytes, frames   atomic.Int64

	mu        sync.Mutex
	inView    map[int32]struct{}
	latencyMs []float64
	outside   int // committed strokes beyond the grown view: not filtered by view
	changed   chan struct{}
}

func newReceived(viewport Rect, strokes *committed) *received {
	return &received{viewport: viewport, grown: viewport.Grown(), strokes: strokes, inView: map[int32]struct{}{}, changed: make(chan struct{})}
}

// frame counts a frame (client.Options.OnFrame).
func (r *received) frame(f []byte) {
	r.bytes.Add(int64(len(f)))
	r.frames.Add(1)
}

// heads records a batch of committed events (client.Options.OnHeads).
func (r *received) heads(heads []client.EventHead) {
	now := float64(time.Now().UnixMicro()) / 1000
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range heads {
		if len(h.StrokeID) != 16 {
			continue
		}
		i, box, ok := r.strokes.lookup([16]byte(h.StrokeID))
		if !ok {
			continue // not a stroke of this run: the room is new, so none arrive
		}
		if !r.grown.Touches(box) {
			r.outside++
		}
		if r.viewport.Touches(box) {
			r.inView[i] = struct{}{}
			r.latencyMs = append(r.latencyMs, now-float64(h.CommittedAtMs))
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// missing counts the strokes of want this client has not received.
func (r *received) missing(want []int32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, i := range want {
		if _, ok := r.inView[i]; !ok {
			n++
		}
	}
	return n
}

// waitFor waits until the client has every stroke of want, its connection ends, or deadline passes; it
// returns how many it still misses.
func (r *received) waitFor(want []int32, done <-chan struct{}, deadline <-chan time.Time) int {
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		n := r.missing(want)
		if n == 0 {
			return 0
		}
		select {
		case <-ch:
		case <-done:
			return r.missing(want)
		case <-deadline:
			return r.missing(want)
		}
	}
}
