package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// Options tune the hub.
type Options struct {
	// Tick is how long output is coalesced per room (about one frame per 16 ms per client).
	Tick time.Duration
	// GapWait is how long a gap in a room's stream may last before it is filled from the database.
	GapWait time.Duration
	// PageSize and PageBytes bound the events and the bytes of one catch-up frame.
	PageSize, PageBytes int
	// WriteTimeout bounds how long a catch-up page may wait for room in a client's queue.
	WriteTimeout time.Duration
	// BrokerTimeout bounds each presence read and write and the wait for a room's subscription, so
	// that a hung broker delays a Join by a bounded time; the room's stream then catches up from the
	// database once the subscription is active (Resync).
	BrokerTimeout time.Duration
	// Publisher bounds the queue of messages to the broker.
	Publisher PublisherOptions
	// Interest makes clients that declared a view get only what meets it (interest.go); without it
	// every client gets all of its room's output, views or not.
	Interest bool
	// CrowdSize is the number of people listed in a room's presence from which viewers who join are
	// counted instead (crowd viewers: no presence message, no relayed cursor); 0 lists everyone.
	CrowdSize int
	// ViewersEvery is how often a crowded room tells its clients the count of crowd viewers when it
	// changed.
	ViewersEvery time.Duration
	// ViewerTick is the least time between two frames of ephemeral entries to a crowd viewer with a
	// view (adapt.go); 0 sends them every flush.
	ViewerTick time.Duration
}

// Hub holds the rooms this replica serves.
type Hub struct {
	replica string
	reader  EventReader
	broker  Broker
	log     *slog.Logger
	metrics *Metrics
	opts    Options

	pub    *publisher
	loaded atomic.Bool // the replica is short of CPU (load.go)

	mu    sync.Mutex
	rooms map[uuid.UUID]*Room
}

// New makes a hub. replica identifies this process on the bus.
func New(replica string, reader EventReader, log *slog.Logger, metrics *Metrics, opts Options) *Hub {
	return &Hub{replica: replica, reader: reader, log: log, metrics: metrics, opts: opts, rooms: map[uuid.UUID]*Room{}}
}

// SetBroker connects the hub to the bus; the broker delivers received messages to Receive. Run
// publishes to it.
func (h *Hub) SetBroker(b Broker) {
	h.broker = b
	h.pub = newPublisher(b, h.replica, h.log, h.metrics.busDropped, h.opts.Publisher)
}

// Run publishes the hub's bus messages and watches the replica's load until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	go h.watchLoad(ctx)
	h.pub.run(ctx)
}

// page is a catch-up page of at most limit events.
func (h *Hub) page(limit int) events.Page {
	return events.Page{Limit: min(limit, h.opts.PageSize), Bytes: h.opts.PageBytes}
}

// ErrClosing is returned by Join while the hub shuts down.
var ErrClosing = errors.New("server is shutting down")

// Join adds a client to its room: the client gets Welcome, then every event after lastSeq, then the
// live stream, limited to what meets its view if it has one (nil: everything).
func (h *Hub) Join(ctx context.Context, c *Client, lastSeq uint64, view *View) error {
	c.Session = rand.Uint32()>>1 | 1
	r, err := h.acquire(ctx, c.Room)
	if err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, h.opts.BrokerTimeout)
	peers, err := h.broker.Peers(bctx, c.Room)
	cancel()
	if err != nil {
		h.log.Warn("presence read failed", "room", c.Room, "err", err)
	}
	c.crowd = c.Role == roomv1.Role_ROLE_VIEWER && h.opts.CrowdSize > 0 && len(peers) >= h.opts.CrowdSize
	viewers := h.enter(ctx, c)
	head, err := h.reader.Head(ctx, c.Room)
	if err != nil {
		h.release(r, c)
		return fmt.Errorf("read room head: %w", err)
	}
	joined := &realtimev1.Presence{Joined: []*realtimev1.Peer{c.Peer()}}

	r.mu.Lock()
	c.room = r
	welcome := &realtimev1.Welcome{SessionId: c.Session, UserId: c.UserID, Role: c.Role, RoomId: c.Room.String(),
		HeadSeq: max(head, r.delivered), Peers: peers, Viewers: uint32(viewers)}
	c.offer(appendMessage(nil, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Welcome{Welcome: welcome}})) // the queue is empty
	if c.crowd {
		r.viewersChanged()
	} else {
		r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: joined}}, events.Area{}) // before adding c: the newcomer learns the others from Welcome
	}
	r.add(c, view)
	r.mu.Unlock()

	h.metrics.connections.Inc()
	if !c.crowd {
		h.publish(c.Room, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Presence{Presence: joined}})
	}
	subscribed := make(chan struct{})
	go h.catchUp(r, c, min(lastSeq, welcome.HeadSeq), subscribed)
	h.syncChannels(r) // before the client goes live: from then on its regions' events reach the room
	close(subscribed)
	return nil
}

// enter records the client in the room's presence, or counts it as a crowd viewer; it returns the count
// of crowd viewers (read only when the room is crowded).
func (h *Hub) enter(ctx context.Context, c *Client) int {
	bctx, cancel := context.WithTimeout(ctx, h.opts.BrokerTimeout)
	defer cancel()
	if !c.crowd {
		if err := h.broker.AddPeer(bctx, c.Room, c.Peer()); err != nil {
			h.log.Warn("presence write failed", "room", c.Room, "err", err)
		}
		return 0
	}
	if err := h.broker.CountViewer(bctx, c.Room, 1); err != nil {
		h.log.Warn("viewer count failed", "room", c.Room, "err", err)
	}
	n, err := h.broker.Viewers(bctx, c.Room)
	if err != nil {
		h.log.Warn("viewer count read failed", "room", c.Room, "err", err)
	}
	return n
}

// SetView replaces a client's view; it returns the room's position at the change: events after it
// that meet the new view reach the client.
func (h *Hub) SetView(c *Client, v View) uint64 {
	r := c.room
	r.mu.Lock()
	r.setView(c, &v)
	r.mu.Unlock()
	h.syncChannels(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered // read once the view's regions are subscribed: what came before is in tiles
}

// acquire returns the room, creating it and starting its stream when it is new here.
func (h *Hub) acquire(ctx context.Context, id uuid.UUID) (*Room, error) {
	h.mu.Lock()
	if h.rooms == nil {
		h.mu.Unlock()
		return nil, ErrClosing
	}
	r, ok := h.rooms[id]
	if !ok {
		r = newRoom(h, id)
		h.rooms[id] = r
		h.metrics.rooms.Inc()
	}
	r.mu.Lock()
	r.refs++
	r.mu.Unlock()
	h.mu.Unlock()

	if !ok {
		// Subscribe before reading the head: whatever commits after the read is published after the
		// subscription is active, and whatever committed before is covered by the head. A broker that
		// does not confirm in time delays nothing more: it calls Resync once the subscription is
		// active, and the stream catches up from the database.
		sctx, cancel := context.WithTimeout(ctx, h.opts.BrokerTimeout)
		subErr := h.broker.Subscribe(sctx, id, Channel{})
		cancel()
		if subErr != nil {
			h.log.Warn("subscribe failed; the room catches up once it works", "room", id, "err", subErr)
		}
		head, err := h.reader.Head(ctx, id)
		r.mu.Lock()
		r.err = err
		r.delivered, r.initialized = head, err == nil
		if err == nil {
			r.acceptCommitted(nil)
			if subErr != nil {
				r.resync() // for a confirmation that came before the stream started
			}
		}
		r.mu.Unlock()
		close(r.ready)
	}
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.release(r, nil)
		return nil, ctx.Err()
	}
	if r.err != nil {
		h.release(r, nil)
		return nil, fmt.Errorf("start room %s: %w", id, r.err)
	}
	return r, nil
}

// release drops a reference to the room (and the client, if any) and forgets the room at zero.
func (h *Hub) release(r *Room, c *Client) {
	h.mu.Lock()
	r.mu.Lock()
	r.refs--
	gone := r.refs == 0
	if c != nil {
		r.remove(c)
	}
	if gone && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
		h.metrics.rooms.Dec()
		if r.gapTimer != nil {
			r.gapTimer.Stop()
		}
		if r.viewersAt != nil {
			r.viewersAt.Stop()
		}
	}
	r.mu.Unlock()
	h.mu.Unlock()
	if gone && r.err == nil {
		r.subMu.Lock()
		defer r.subMu.Unlock()
		r.mu.Lock()
		chans := []Channel{{}}
		for ch := range r.active {
			chans = append(chans, ch)
		}
		clear(r.active)
		r.mu.Unlock()
		h.unsubscribe(r, chans)
	}
}

// Leave removes a client that disconnected.
func (h *Hub) Leave(c *Client) {
	r := c.room
	if r == nil {
		return
	}
	h.release(r, c)
	if h.room(r.id) == r {
		h.syncChannels(r) // the channels only it needed go
	}
	h.metrics.connections.Dec()
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.BrokerTimeout)
	defer cancel()
	if c.crowd {
		if err := h.broker.CountViewer(ctx, c.Room, -1); err != nil {
			h.log.Warn("viewer count failed", "room", c.Room, "err", err)
		}
		r.mu.Lock()
		r.viewersChanged()
		r.mu.Unlock()
		return
	}
	left := &realtimev1.Presence{LeftSessionIds: []uint32{c.Session}}
	r.mu.Lock()
	r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: left}}, events.Area{})
	r.live.leave(c.Session)
	r.mu.Unlock()
	if err := h.broker.RemovePeer(ctx, c.Room, c.Session); err != nil {
		h.log.Warn("presence remove failed", "room", c.Room, "err", err)
	}
	h.publish(c.Room, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Presence{Presence: left}})
}

// catchUp sends the events after cursor from the database, page by page (to a viewed client, without
// the strokes added elsewhere: AreaOfStored), then switches the client to the live stream once it has
// reached the stream's head, and the channels it needs are subscribed (closed subscribed): the events of
// its regions that the room skipped before are behind the head.
func (h *Hub) catchUp(r *Room, c *Client, cursor uint64, subscribed <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	// A read can come back empty while the stream is ahead of the cursor: events committed after the read
	// and already flushed to the live clients, this one not among them yet. The next read holds them, so
	// an empty read is retried; a database that keeps lagging the stream makes the client rejoin rather
	// than go live past events it never got.
	for empty := 0; ; {
		evs, head, err := h.reader.EventsAfter(ctx, r.id, cursor, h.page(h.opts.PageSize))
		if err != nil {
			c.Kick(realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "catch-up failed: rejoin")
			return
		}
		if len(evs) > 0 {
			cursor = evs[len(evs)-1].Seq
			page := appendEvents(nil, evs, cursor < head)
			r.mu.Lock()
			viewed, interest := c.viewed, c.interest
			r.mu.Unlock()
			if viewed { // the strokes added elsewhere are left out, as live
				evs = slices.DeleteFunc(events.WithStoredAreas(evs), func(ev events.Event) bool { return !ev.Area.Meets(interest) })
				page = appendBatch(nil, evs, cursor < head, cursor)
			}
			if !h.sendNow(c, page) {
				return
			}
			h.metrics.eventsOut.Add(float64(len(evs)))
		}
		<-subscribed
		r.mu.Lock()
		if cursor >= r.delivered {
			c.cursor, c.live = cursor, true
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if len(evs) == 0 {
			if empty++; empty > 3 {
				c.Kick(realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "catch-up fell behind the live stream: rejoin")
				return
			}
		}
	}
}

// sendNow queues a frame outside the tick (catch-up pages), waiting up to WriteTimeout for room.
func (h *Hub) sendNow(c *Client, frame []byte) bool {
	t := time.NewTimer(h.opts.WriteTimeout)
	defer t.Stop()
	if c.offer(frame) {
		h.metrics.framesOut.Inc()
		return true
	}
	select {
	case c.out <- frame:
		c.wake()
		h.metrics.framesOut.Inc()
		return true
	case <-c.done:
		return false
	case <-t.C:
		if c.Kick(realtimev1.ErrorCode_ERROR_CODE_SLOW_CONSUMER, "you read too slowly during catch-up: rejoin") {
			h.metrics.slowKicks.Inc()
		}
		return false
	}
}

// Reply queues an ack or error to one client with its room's next flush. When that flush is held for
// the tick because another client is behind, a client that is not behind gets it at once in a frame of
// its own: a writer waits for its ack before it goes on (the author's own events may come after the
// ack; clients take a stroke as done when either arrives).
func (h *Hub) Reply(c *Client, msg *realtimev1.ServerMessage) {
	r := c.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holding() && !c.behind() && len(c.replies) == 0 && c.offer(appendMessage(nil, msg)) {
		h.metrics.framesOut.Inc()
		return
	}
	c.replies = appendMessage(c.replies, msg)
	r.replying[c] = struct{}{}
	r.schedule()
}

// Fetch answers a client's FetchEvents directly from the database (a client that saw a gap).
func (h *Hub) Fetch(ctx context.Context, c *Client, after uint64, limit int) error {
	evs, head, err := h.reader.EventsAfter(ctx, c.Room, after, h.page(limit))
	if err != nil {
		return err
	}
	more := len(evs) > 0 && evs[len(evs)-1].Seq < head
	h.sendNow(c, appendEvents(nil, evs, more))
	return nil
}

// Committed is the writer's hook: events stored by this replica go to its own clients at once and to
// the other replicas over the bus. It never waits on the broker.
func (h *Hub) Committed(byRoom map[uuid.UUID][]events.Event) {
	for room, evs := range byRoom {
		if r := h.room(room); r != nil {
			r.mu.Lock()
			r.acceptCommitted(evs)
			r.mu.Unlock()
		}
		h.publishCommitted(room, evs)
	}
}

// Resync fills the room's stream from the database: the broker may have lost messages of the room.
func (h *Hub) Resync(room uuid.UUID) {
	if r := h.room(room); r != nil {
		r.mu.Lock()
		r.resync()
		r.mu.Unlock()
	}
}

// Receive handles a BusMessage of a room from the broker.
func (h *Hub) Receive(room uuid.UUID, raw []byte) {
	if fromOrigin(raw, h.replica) {
		return // delivered locally already
	}
	m, err := decodeBus(raw)
	if err != nil {
		h.log.Warn("bad bus message", "room", room, "err", err)
		return
	}
	if m.origin == h.replica {
		return // delivered locally already (a message whose origin was not its first field)
	}
	if m.rest != nil {
		if ctl := m.rest.GetControl(); ctl != nil {
			h.kick(room, ctl.GetUserId(), ctl.GetReason())
			return
		}
	}
	r := h.room(room)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(m.committed) > 0 {
		r.acceptCommitted(m.committed)
	}
	if m.rest == nil {
		return
	}
	switch b := m.rest.GetBody().(type) {
	case *realtimev1.BusMessage_Heads:
		areas := b.Heads.GetAreas()
		heads := make([]head, len(b.Heads.GetSeqs()))
		for i, seq := range b.Heads.GetSeqs() {
			heads[i].seq = seq
			if i < len(areas) {
				heads[i].area = events.Area{Box: boxOf(areas[i]), Known: true}
			}
		}
		r.acceptHeads(heads)
	case *realtimev1.BusMessage_Live:
		now := time.Now()
		areas, seqs := b.Live.GetAreas(), b.Live.GetSeqs()
		for i, l := range b.Live.GetItems() {
			if i < len(seqs) && !r.freshLive(m.origin, seqs[i]) {
				continue
			}
			if r.acceptRemoteLive(l, now) {
				var a events.Area
				if i < len(areas) {
					a = events.Area{Box: boxOf(areas[i]), Known: true}
				}
				r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: l}}, a)
			}
		}
	case *realtimev1.BusMessage_Presence:
		r.live.leave(b.Presence.GetLeftSessionIds()...)
		r.addEphemeral(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: b.Presence}}, events.Area{})
	}
}

// Disconnect closes the connections of a room on every replica with a fatal error of code reason: all
// of them (userID empty) or one user's. It returns how many were closed on this replica.
func (h *Hub) Disconnect(room uuid.UUID, userID string, reason realtimev1.ErrorCode) int {
	h.publish(room, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Control{Control: &realtimev1.RoomControl{UserId: userID, Reason: reason}}})
	return h.kick(room, userID, reason)
}

func (h *Hub) kick(room uuid.UUID, userID string, reason realtimev1.ErrorCode) int {
	r := h.room(room)
	if r == nil {
		return 0
	}
	msg := "the room was closed"
	if reason == realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED {
		msg = access.ReasonChanged
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for c := range r.clients {
		if userID == "" || c.UserID == userID {
			c.Kick(reason, msg)
			n++
		}
	}
	return n
}

// Peers lists the room's peers on every replica.
func (h *Hub) Peers(ctx context.Context, room uuid.UUID) ([]*realtimev1.Peer, error) {
	return h.broker.Peers(ctx, room)
}

// Shutdown refuses new joins and disconnects every client (they reconnect to another replica and
// catch up by sequence number).
func (h *Hub) Shutdown() {
	h.mu.Lock()
	rooms := h.rooms
	h.rooms = nil
	h.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		for c := range r.clients {
			c.Kick(realtimev1.ErrorCode_ERROR_CODE_INTERNAL, "server is restarting: reconnect")
		}
		r.mu.Unlock()
	}
}

func (h *Hub) room(id uuid.UUID) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id]
}

// publish queues an ephemeral message (presence, control) for the other replicas on the room's channel.
func (h *Hub) publish(room uuid.UUID, msg *realtimev1.BusMessage) { h.publishOn(room, Channel{}, msg) }

// publishOn queues an ephemeral message for the other replicas on one of the room's channels.
func (h *Hub) publishOn(room uuid.UUID, ch Channel, msg *realtimev1.BusMessage) {
	msg.Origin = h.replica
	b, err := proto.Marshal(msg)
	if err != nil {
		h.log.Error("encode bus message", "err", err)
		return
	}
	h.pub.enqueue(outgoing{Publication: Publication{Room: room, Channel: ch, Data: b}})
}
