package hub

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// Room is one room served by this replica: its local clients, its ordered event stream and the
// output of the current tick.
type Room struct {
	id    uuid.UUID
	hub   *Hub
	ready chan struct{} // closed when the stream head is known
	err   error         // set before ready is closed when the room could not start

	mu          sync.Mutex
	refs        int // clients joined or joining; the room goes away at zero
	clients     map[*Client]struct{}
	initialized bool
	delivered   uint64                  // every event up to here is in the stream
	pending     map[uint64]events.Event // events past a gap
	dbHead      uint64                  // the room's head in the database at the last fill
	gapTimer    *time.Timer
	live        liveStrokes

	// Output of the current tick.
	run       []events.Event // contiguous committed events
	eph       []byte         // encoded ServerFrame entries: live strokes, cursors, presence
	busLive   []*realtimev1.Live
	scheduled bool
	held      bool // the scheduled flush waits for the tick: some client is behind
	lastFlush time.Time
}

func newRoom(h *Hub, id uuid.UUID) *Room {
	return &Room{id: id, hub: h, ready: make(chan struct{}), clients: map[*Client]struct{}{}, pending: map[uint64]events.Event{},
		live: newLiveStrokes()}
}

// acceptCommitted adds events to the stream in order, holding back those past a gap. Caller holds mu.
func (r *Room) acceptCommitted(evs []events.Event) {
	for _, ev := range evs {
		if !r.initialized || ev.Seq > r.delivered {
			r.pending[ev.Seq] = ev
		}
	}
	if !r.initialized {
		return
	}
	for seq := range r.pending {
		if seq <= r.delivered {
			delete(r.pending, seq)
		}
	}
	for {
		ev, ok := r.pending[r.delivered+1]
		if !ok {
			break
		}
		delete(r.pending, ev.Seq)
		r.run = append(r.run, ev)
		r.delivered = ev.Seq
	}
	if len(r.run) > 0 {
		r.schedule()
	}
	r.fillLater(r.hub.opts.GapWait)
}

// behind reports whether the stream lacks events: some past a gap, or the database had more at the
// last fill. Caller holds mu.
func (r *Room) behind() bool { return len(r.pending) > 0 || r.delivered < r.dbHead }

// fillLater arranges a fill from the database after wait if the stream is behind. Caller holds mu.
func (r *Room) fillLater(wait time.Duration) {
	if r.behind() && r.gapTimer == nil {
		r.gapTimer = time.AfterFunc(wait, r.fillGap)
	}
}

// resync makes the stream read the database at once, for events the bus may have lost. Caller holds
// mu.
func (r *Room) resync() {
	if !r.initialized {
		return // the head read at the start covers them
	}
	r.dbHead = max(r.dbHead, r.delivered+1) // until the fill reads the real head
	r.fillLater(0)                          // or with the gap fill already arranged
}

// fillGap reads events missing from the stream (a publisher died between commit and publish, or the
// bus lost a message) from the database, a page at a time.
func (r *Room) fillGap() {
	r.mu.Lock()
	r.gapTimer = nil
	if !r.behind() {
		r.mu.Unlock()
		return
	}
	after := r.delivered
	r.mu.Unlock()
	r.hub.metrics.gapFills.Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	evs, head, err := r.hub.reader.EventsAfter(ctx, r.id, after, r.hub.page(r.hub.opts.PageSize))
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.hub.log.Warn("gap fill failed", "room", r.id, "err", err)
	} else {
		r.dbHead = head
	}
	r.acceptCommitted(evs)
}

// schedule arranges a flush: at once while every client keeps up with the room's output, otherwise one
// tick after the last flush (pace.go). Caller holds mu.
func (r *Room) schedule() {
	if r.scheduled {
		return // the flush to come takes what was added since
	}
	r.scheduled = true
	if d := flushDelay(time.Now(), r.lastFlush, r.hub.opts.Tick, r.backlog()); d > 0 {
		r.held = true
		time.AfterFunc(d, r.flush)
		return
	}
	go r.flush()
}

// addEphemeral queues a message for every client with the next flush. Caller holds mu.
func (r *Room) addEphemeral(msg *realtimev1.ServerMessage) {
	r.eph = appendMessage(r.eph, msg)
	r.schedule()
}

// flush sends each client one frame with everything due to it.
func (r *Room) flush() {
	r.mu.Lock()
	r.scheduled, r.held = false, false
	r.lastFlush = time.Now()
	run, eph, busLive := r.run, r.eph, r.busLive
	r.run, r.eph, r.busLive = nil, nil, nil
	var shared []byte // run encoded once for every client that needs all of it
	if len(run) > 0 {
		now := time.Now().UnixMilli()
		for _, ev := range run {
			r.hub.metrics.fanoutLatency.Observe(float64(now-ev.CommittedAtMs) / 1000)
		}
	}
	for c := range r.clients {
		if c.Closed() {
			continue
		}
		var frame []byte
		sentEvents := false
		if c.live && len(run) > 0 && run[len(run)-1].Seq > c.cursor {
			i := 0
			for i < len(run) && run[i].Seq <= c.cursor {
				i++
			}
			if i == 0 {
				if shared == nil {
					shared = appendEvents(nil, run, false)
				}
				frame = append(frame, shared...)
			} else {
				frame = appendEvents(frame, run[i:], false)
			}
			c.cursor = run[len(run)-1].Seq
			sentEvents = true
			r.hub.metrics.eventsOut.Add(float64(len(run) - i))
		}
		mustSend := sentEvents || len(c.replies) > 0
		if len(eph) > 0 {
			if len(c.out) < cap(c.out)/2 || !mustSend {
				frame = append(frame, eph...)
			} else {
				r.hub.metrics.ephDropped.Inc() // a lagging client loses ephemeral traffic first
			}
		}
		frame = append(frame, c.replies...)
		c.replies = nil
		if len(frame) == 0 {
			continue
		}
		switch {
		case c.offer(frame):
			r.hub.metrics.framesOut.Inc()
		case !mustSend:
			r.hub.metrics.ephDropped.Inc()
		case c.Kick(realtimev1.ErrorCode_ERROR_CODE_SLOW_CONSUMER, "you fell too far behind: rejoin with your last seen sequence number"):
			r.hub.metrics.slowKicks.Inc()
		}
	}
	r.mu.Unlock()
	if len(busLive) > 0 {
		r.hub.publish(r.id, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Live{Live: &realtimev1.LiveBatch{Items: busLive}}})
	}
}
