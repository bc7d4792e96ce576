package hub

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

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
	everything  map[*Client]struct{} // clients that get all of the room's output: no view, or no filtering
	views       viewIndex            // the other clients, by interest
	replying    map[*Client]struct{} // clients with replies due
	waiting     map[*Client]struct{} // crowd viewers with ephemeral output held (adapt.go)
	waitTimer   *time.Timer          // the flush that sends it
	viewerTick  time.Duration        // the crowd viewers' interval now: ViewerTick, longer under load
	recent      []*Client            // clients that got a frame in the last flush, or were behind then (pace.go)
	stamp       uint64               // of the current flush
	initialized bool
	delivered   uint64                  // every event up to here is in the stream
	pending     map[uint64]events.Event // events past a gap
	dbHead      uint64                  // the room's head in the database at the last fill
	gapTimer    *time.Timer
	viewersAt   *time.Timer // the next announcement of the crowd viewers' count
	live        liveStrokes
	// Bus channels besides the room's (regions.go): how many clients want each, which are subscribed,
	// and the numbering of live items, ours and the last relayed of each other replica.
	subs     map[Channel]int
	active   map[Channel]bool
	subMu    sync.Mutex // held while the subscriptions change
	liveSeq  uint64
	lastLive map[string]uint64

	// Output of the current tick.
	run       []events.Event // contiguous committed events
	eph       []ephemeral    // live strokes, cursors, presence
	busLive   []*realtimev1.Live
	busAreas  []*realtimev1.Area // of busLive
	scheduled bool
	held      bool      // the scheduled flush waits for the tick: some client is behind
	flushDue  time.Time // when the scheduled flush should run
	lastFlush time.Time
}

func newRoom(h *Hub, id uuid.UUID) *Room {
	return &Room{id: id, hub: h, ready: make(chan struct{}), clients: map[*Client]struct{}{}, pending: map[uint64]events.Event{},
		everything: map[*Client]struct{}{}, views: newViewIndex(), replying: map[*Client]struct{}{}, waiting: map[*Client]struct{}{},
		live: newLiveStrokes(),
		subs: map[Channel]int{}, active: map[Channel]bool{}, lastLive: map[string]uint64{},
		// Not from 0: a replica that restarts under the same id numbers its items above its last run's.
		liveSeq: uint64(time.Now().UnixNano())}
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
		if ev.Encoded != nil { // not skipped (acceptHeads)
			r.run = append(r.run, ev)
		}
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
	r.acceptCommitted(events.WithStoredAreas(evs)) // strokes added elsewhere stay filtered
}

// schedule arranges a flush: at once while every client keeps up with the room's output, otherwise one
// tick after the last flush (pace.go). Caller holds mu.
func (r *Room) schedule() {
	if r.scheduled {
		return // the flush to come takes what was added since
	}
	r.scheduled = true
	now := time.Now()
	d := flushDelay(now, r.lastFlush, r.hub.opts.Tick, r.backlog())
	r.flushDue = now.Add(d)
	if d > 0 {
		r.held = true
		time.AfterFunc(d, r.flush)
		return
	}
	go r.flush()
}

// addEphemeral queues a message for the clients whose interest area meets (every client when unknown)
// with the next flush. Caller holds mu.
func (r *Room) addEphemeral(msg *realtimev1.ServerMessage, area events.Area) {
	e := ephemeral{area: area, enc: appendMessage(nil, msg)}
	e.classify(msg)
	r.eph = append(r.eph, e)
	r.schedule()
}

// viewersChanged arranges for the room to read the count of crowd viewers and tell every client, at most
// once per ViewersEvery. Caller holds mu.
func (r *Room) viewersChanged() {
	if r.viewersAt == nil {
		r.viewersAt = time.AfterFunc(r.hub.opts.ViewersEvery, r.announceViewers)
	}
}

// announceViewers tells the room's clients here and on every replica how many crowd viewers it has.
func (r *Room) announceViewers() {
	r.mu.Lock()
	r.viewersAt = nil
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.hub.opts.BrokerTimeout)
	n, err := r.hub.broker.Viewers(ctx, r.id)
	cancel()
	if err != nil {
		r.hub.log.Warn("viewer count read failed", "room", r.id, "err", err)
		return
	}
	p := &realtimev1.Presence{Viewers: proto.Uint32(uint32(n))}
	r.mu.Lock()
	r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: p}}, events.Area{})
	r.mu.Unlock()
	r.hub.publish(r.id, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Presence{Presence: p}})
}

// add puts a joined client in the room with its view (nil: everything). Caller holds mu.
func (r *Room) add(c *Client, v *View) {
	r.clients[c] = struct{}{}
	r.file(c, v)
}

// remove takes a client out of the room. Caller holds mu.
func (r *Room) remove(c *Client) {
	if _, ok := r.clients[c]; !ok {
		return
	}
	delete(r.clients, c)
	r.unfile(c)
	delete(r.replying, c)
	delete(r.waiting, c)
}

// setView files the client under its new view. Caller holds mu.
func (r *Room) setView(c *Client, v *View) {
	r.unfile(c)
	r.file(c, v)
}

// file puts the client where its output is found: among the clients that get everything (no view, or
// the hub does not filter) or in the view index, and counts the channels it needs. Caller holds mu.
func (r *Room) file(c *Client, v *View) {
	if v == nil || !r.hub.opts.Interest {
		c.viewed = false
		r.everything[c] = struct{}{}
	} else {
		c.viewed, c.view, c.interest = true, *v, v.interest()
		r.views.add(c)
	}
	r.want(c, 1)
}

// unfile undoes file. Caller holds mu.
func (r *Room) unfile(c *Client) {
	r.want(c, -1)
	delete(r.everything, c)
	r.views.remove(c)
}

// flush sends each client one frame with everything due to it: the clients that get everything the
// same events and entries, the viewed clients those that meet their interest.
func (r *Room) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastFlush = time.Now()
	// Under load: some client was behind, the flush ran late, or goroutines wait for a thread.
	r.adaptViewerTick(r.held || r.lastFlush.Sub(r.flushDue) > r.hub.opts.Tick/2 || r.hub.loaded.Load())
	r.scheduled, r.held = false, false
	run, eph, busLive, busAreas := r.run, r.eph, r.busLive, r.busAreas
	r.run, r.eph, r.busLive, r.busAreas = nil, nil, nil, nil
	r.stamp++
	if len(run) > 0 {
		now := time.Now().UnixMilli()
		for _, ev := range run {
			r.hub.metrics.fanoutLatency.Observe(float64(now-ev.CommittedAtMs) / 1000)
		}
	}
	sent := make([]*Client, 0, len(r.recent))
	supersede(eph)
	// Encoded once for the clients that get everything (when there are any): the events, and the entries
	// for those that lag and miss nothing.
	var shared []byte
	var every []int
	var allEntries [][]byte
	if len(r.everything) > 0 {
		every = make([]int, len(eph))
		for j := range every {
			every[j] = j
		}
		allEntries = [][]byte{bytes.Join(appendEntries(nil, eph, every, false, nil), nil)}
	}
	for c := range r.everything {
		var frame []byte
		if i := r.firstDue(c, run); i < len(run) {
			if i == 0 {
				if shared == nil {
					shared = appendEvents(nil, run, false)
				}
				frame = shared // send copies it
			} else {
				frame = appendEvents(frame, run[i:], false)
			}
			r.hub.metrics.eventsOut.Add(float64(len(run) - i))
		}
		entries := allEntries
		if lagging := r.lagging(c, len(every)); lagging || len(c.brokenLive) > 0 {
			entries = appendEntries(nil, eph, every, lagging, &c.brokenLive)
		}
		if r.send(c, frame, entries) {
			sent = append(sent, c)
		}
	}
	touched := r.route(run, eph)
	for _, c := range touched {
		var frame []byte
		if evs := r.dueEvents(c, run); len(evs) > 0 {
			through := run[len(run)-1].Seq
			if c.view.Level >= CoarseLevel {
				frame = appendTilesChanged(frame, c.view, c.interest, evs, through)
			} else {
				frame = appendBatch(frame, evs, false, through)
			}
			r.hub.metrics.eventsOut.Add(float64(len(evs)))
		}
		entries := appendEntries(nil, eph, c.due.entries, r.lagging(c, len(c.due.entries)), &c.brokenLive)
		if r.send(c, frame, entries) {
			sent = append(sent, c)
		}
	}
	for c := range r.waiting { // held output now due (adapt.go)
		if c.sent != r.stamp && r.send(c, nil, nil) {
			sent = append(sent, c)
		}
	}
	clear(r.replying)            // sent: the clients that get everything above, the viewed ones routed
	for _, c := range r.recent { // still behind from an earlier flush: still counts for pacing
		if c.sent != r.stamp && c.behind() {
			sent = append(sent, c)
		}
	}
	r.recent = sent
	if len(busLive) > 0 {
		r.hub.publishLive(r, busLive, busAreas)
	}
}

// firstDue returns the index of the first event of run a client that gets everything has not had
// (len(run) for none), and moves its cursor past run. Caller holds mu.
func (r *Room) firstDue(c *Client, run []events.Event) int {
	if !c.live || len(run) == 0 || run[len(run)-1].Seq <= c.cursor {
		return len(run)
	}
	i := 0
	for i < len(run) && run[i].Seq <= c.cursor {
		i++
	}
	c.cursor = run[len(run)-1].Seq
	return i
}

// route lists the viewed clients whose interest some of run and eph meet, with what meets it in their
// due items, and the viewed clients with replies due. Caller holds mu.
func (r *Room) route(run []events.Event, eph []ephemeral) []*Client {
	var touched []*Client
	due := func(c *Client) *dueItems {
		if c.due.stamp != r.stamp {
			c.due = dueItems{stamp: r.stamp, events: c.due.events[:0], entries: c.due.entries[:0]}
			touched = append(touched, c)
		}
		return &c.due
	}
	if len(r.views.all) > 0 {
		for i := range run {
			r.views.visit(run[i].Area, func(c *Client) {
				if c.live && run[i].Seq > c.cursor {
					d := due(c)
					d.events = append(d.events, i)
				}
			})
		}
		for j := range eph {
			r.views.visit(eph[j].area, func(c *Client) {
				d := due(c)
				d.entries = append(d.entries, j)
			})
		}
	}
	for c := range r.replying {
		if c.viewed {
			due(c)
		}
	}
	return touched
}

// dueEvents returns the events of run due to a viewed client and moves its cursor past them. Caller
// holds mu.
func (r *Room) dueEvents(c *Client, run []events.Event) []events.Event {
	if len(c.due.events) == 0 {
		return nil
	}
	evs := make([]events.Event, len(c.due.events))
	for k, i := range c.due.events {
		evs[k] = run[i]
	}
	c.cursor = evs[len(evs)-1].Seq
	return evs
}

// lagging reports whether a client's queue is half full, so that it gets no cursors and live strokes of
// the entries due to it (adapt.go), and counts their loss. Caller holds mu.
func (r *Room) lagging(c *Client, entries int) bool {
	if entries == 0 || len(c.out) < cap(c.out)/2 {
		return false
	}
	r.hub.metrics.ephDropped.Inc()
	return true
}

// send queues a client's frame of this flush: its events (or none), the ephemeral entries due to it
// (adapt.go) and its replies. A frame with events or replies that does not fit the client's queue cuts
// the client off. It reports whether a frame was queued. Caller holds mu.
func (r *Room) send(c *Client, frame []byte, entries [][]byte) bool {
	if c.Closed() {
		return false
	}
	mustSend := len(frame) > 0 || len(c.replies) > 0
	if !mustSend && r.hold(c, entries) {
		return false
	}
	size := len(frame) + len(c.replies)
	for _, e := range c.held {
		size += len(e)
	}
	for _, e := range entries {
		size += len(e)
	}
	out := make([]byte, 0, size)
	for _, e := range c.held { // before this flush's output: it is older
		out = append(out, e...)
	}
	if len(c.held) > 0 {
		c.held = nil
		delete(r.waiting, c)
	}
	out = append(out, frame...)
	for _, e := range entries {
		out = append(out, e...)
	}
	frame = append(out, c.replies...)
	c.replies = nil
	if len(frame) == 0 {
		return false
	}
	switch {
	case c.offer(frame):
		r.hub.metrics.framesOut.Inc()
		c.sent, c.sentAt = r.stamp, r.lastFlush
		return true
	case !mustSend:
		r.hub.metrics.ephDropped.Inc()
	case c.Kick(realtimev1.ErrorCode_ERROR_CODE_SLOW_CONSUMER, "you fell too far behind: rejoin with your last seen sequence number"):
		r.hub.metrics.slowKicks.Inc()
	}
	return false
}
