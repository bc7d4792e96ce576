package hub

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Per-region bus channels (docs/scaling.md): a replica receives the committed events and live items of
// the regions its clients look at, not the whole room's. The room's own channel carries presence,
// control, the events no region holds (an unknown area, or one over more than maxRegions regions) and,
// for the others, their heads (sequence number and area) after their payloads went to the channels of
// the regions they touch and to the room's "all regions" channel. So every replica still learns every
// sequence number of the room in order: an event whose regions it does not subscribe to is skipped (no
// client of it looks there; a client that pans there reads it from tiles), one it subscribes to and
// lacks is a gap, filled from the database as before. All of a room's channels share its hash tag,
// hence one Redis Cluster slot and one connection, which keeps one publisher's messages in order across
// them: the payloads arrive before their heads.
const (
	// regionShift makes a region 2^22 encoded units (about 41,900 world px, 22 screens) on a side.
	regionShift = 22
	// maxRegions bounds the regions an item is published to, and the regions a client's interest may
	// meet before its replica subscribes to all of them.
	maxRegions = 4
)

// ChannelKind says which of a room's bus channels a Channel is.
type ChannelKind int

// Kinds of bus channels.
const (
	// RoomChannel is the room's own channel: every replica serving the room subscribes to it.
	RoomChannel ChannelKind = iota
	// AllRegions carries everything published to any region: for replicas with clients that get
	// everything, or look at a wide part of the board.
	AllRegions
	// OneRegion carries what touches the region X, Y.
	OneRegion
)

// Channel names one of a room's bus channels; the zero Channel is the room's own.
type Channel struct {
	Kind ChannelKind
	X, Y int64
}

func (c Channel) String() string {
	switch c.Kind {
	case AllRegions:
		return "all"
	case OneRegion:
		return fmt.Sprintf("r:%d:%d", c.X, c.Y)
	default:
		return "room"
	}
}

// regionsOf returns the region channels a box meets; false when there are more than maxRegions.
func regionsOf(b strokes.Box) ([]Channel, bool) {
	x0, y0, x1, y1 := b.X0>>regionShift, b.Y0>>regionShift, b.X1>>regionShift, b.Y1>>regionShift
	if x1-x0 >= maxRegions || y1-y0 >= maxRegions || (x1-x0+1)*(y1-y0+1) > maxRegions {
		return nil, false
	}
	out := make([]Channel, 0, (x1-x0+1)*(y1-y0+1))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			out = append(out, Channel{Kind: OneRegion, X: x, Y: y})
		}
	}
	return out, true
}

// channelsOf returns the channels that carry an item of the area: its regions, or the room's channel.
func channelsOf(a events.Area) []Channel {
	if a.Known {
		if regions, ok := regionsOf(a.Box); ok {
			return regions
		}
	}
	return []Channel{{}}
}

// wants returns the channels a client needs its replica to subscribe to besides the room's. Caller
// holds the room's mutex.
func (r *Room) wants(c *Client) []Channel {
	if c.viewed {
		if regions, ok := regionsOf(c.interest); ok {
			return regions
		}
	}
	return []Channel{{Kind: AllRegions}}
}

// want counts (delta +1) or uncounts (-1) the channels a client needs. Caller holds mu.
func (r *Room) want(c *Client, delta int) {
	for _, ch := range r.wants(c) {
		if r.subs[ch] += delta; r.subs[ch] <= 0 {
			delete(r.subs, ch)
		}
	}
}

// receives reports whether the replica gets the payloads of an event of the area: it subscribes to
// every region, or to one the area meets. Caller holds mu.
func (r *Room) receives(a events.Area) bool {
	if r.active[Channel{Kind: AllRegions}] {
		return true
	}
	for _, ch := range channelsOf(a) {
		if ch.Kind == RoomChannel || r.active[ch] {
			return true
		}
	}
	return false
}

// syncChannels subscribes the room to the channels its clients need and unsubscribes it from those
// none needs any more, one change at a time (subMu): a channel counts as received once Subscribe
// returned (when it failed, the broker keeps trying and calls Resync once it works). It returns once the
// channels wanted when it was called are subscribed.
func (h *Hub) syncChannels(r *Room) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	var add, drop []Channel
	for ch := range r.subs {
		if !r.active[ch] {
			add = append(add, ch)
		}
	}
	for ch := range r.active {
		if r.subs[ch] == 0 {
			drop = append(drop, ch)
			delete(r.active, ch) // from now on its events are skipped
		}
	}
	r.mu.Unlock()
	for _, ch := range add {
		if err := h.bounded(func(ctx context.Context) error { return h.broker.Subscribe(ctx, r.id, ch) }); err != nil {
			h.log.Warn("subscribe failed; the room catches up once it works", "room", r.id, "channel", ch, "err", err)
		}
		r.mu.Lock()
		r.active[ch] = true
		r.mu.Unlock()
	}
	h.unsubscribe(r, drop)
}

// unsubscribe drops channels of a room.
func (h *Hub) unsubscribe(r *Room, chans []Channel) {
	for _, ch := range chans {
		if err := h.bounded(func(ctx context.Context) error { return h.broker.Unsubscribe(ctx, r.id, ch) }); err != nil {
			h.log.Warn("unsubscribe failed", "room", r.id, "channel", ch, "err", err)
		}
	}
}

// bounded runs a broker call and waits for it at most BrokerTimeout, even when the call itself does
// not honour its context (a pub/sub connection being dialled holds its lock until the dial gives up).
func (h *Hub) bounded(call func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.BrokerTimeout)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- call(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// acceptHeads learns the sequence numbers and areas of committed events published to regions: those
// the replica receives are waited for, the others skipped. Caller holds mu.
func (r *Room) acceptHeads(heads []head) {
	for _, hd := range heads {
		if r.initialized && hd.seq <= r.delivered {
			continue
		}
		if _, ok := r.pending[hd.seq]; !ok && !r.receives(hd.area) {
			r.pending[hd.seq] = events.Event{Seq: hd.seq} // no payload: skipped
		}
	}
	r.acceptCommitted(nil)
}

// head is a committed event's sequence number and area, without its payload.
type head struct {
	seq  uint64
	area events.Area
}

// publishCommitted sends events this replica committed to the other replicas: those of regions to
// their regions' channels and the room's "all regions" channel, then their heads to the room's channel;
// the others to the room's channel.
func (h *Hub) publishCommitted(room uuid.UUID, evs []events.Event) {
	byChannel := map[Channel][]events.Event{}
	var order []Channel
	var global, regional []events.Event
	for _, ev := range evs {
		chs := channelsOf(ev.Area)
		if chs[0].Kind == RoomChannel {
			global = append(global, ev)
			continue
		}
		regional = append(regional, ev)
		for _, ch := range append(chs, Channel{Kind: AllRegions}) {
			if byChannel[ch] == nil {
				order = append(order, ch)
			}
			byChannel[ch] = append(byChannel[ch], ev)
		}
	}
	for _, ch := range order {
		h.pub.enqueue(outgoing{Publication: Publication{Room: room, Channel: ch, Data: encodeCommitted(h.replica, byChannel[ch])}})
	}
	if len(regional) > 0 {
		h.pub.enqueue(outgoing{Publication: Publication{Room: room, Data: encodeHeads(h.replica, regional)}, last: regional[len(regional)-1]})
	}
	if len(global) > 0 {
		h.pub.enqueue(outgoing{Publication: Publication{Room: room, Data: encodeCommitted(h.replica, global)}, last: global[len(global)-1]})
	}
}

// encodeHeads builds a BusMessage announcing events by sequence number and area.
func encodeHeads(origin string, evs []events.Event) []byte {
	heads := &realtimev1.CommittedHeads{Seqs: make([]uint64, len(evs)), Areas: make([]*realtimev1.Area, len(evs))}
	for i, ev := range evs {
		heads.Seqs[i] = ev.Seq
		heads.Areas[i] = areaMessage(ev.Area.Box)
	}
	b, err := proto.Marshal(&realtimev1.BusMessage{Origin: origin, Body: &realtimev1.BusMessage_Heads{Heads: heads}})
	if err != nil {
		panic("encode heads: " + err.Error()) // built here, always encodes
	}
	return b
}

// publishLive sends the live items of a flush to the other replicas: each to the channels of the
// regions it touches and the "all regions" channel, or to the room's, numbered so that a replica that
// gets one twice relays it once.
func (h *Hub) publishLive(r *Room, items []*realtimev1.Live, areas []*realtimev1.Area) {
	byChannel := map[Channel]*realtimev1.LiveBatch{}
	var order []Channel
	for i, l := range items {
		r.liveSeq++
		chs := channelsOf(events.Area{Box: boxOf(areas[i]), Known: true})
		if chs[0].Kind != RoomChannel {
			chs = append(chs, Channel{Kind: AllRegions})
		}
		for _, ch := range chs {
			b := byChannel[ch]
			if b == nil {
				b = &realtimev1.LiveBatch{}
				byChannel[ch] = b
				order = append(order, ch)
			}
			b.Items, b.Areas, b.Seqs = append(b.Items, l), append(b.Areas, areas[i]), append(b.Seqs, r.liveSeq)
		}
	}
	for _, ch := range order {
		h.publishOn(r.id, ch, &realtimev1.BusMessage{Body: &realtimev1.BusMessage_Live{Live: byChannel[ch]}})
	}
}

// freshLive reports whether a live item of origin numbered seq was not relayed yet, and marks it.
// Caller holds mu.
func (r *Room) freshLive(origin string, seq uint64) bool {
	if seq == 0 {
		return true // unnumbered: an older replica's
	}
	if seq <= r.lastLive[origin] {
		return false
	}
	r.lastLive[origin] = seq
	return true
}
