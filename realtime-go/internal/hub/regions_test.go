package hub

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// inRegion is the area of a small stroke inside region x, y.
func inRegion(x, y int64) events.Area {
	x0, y0 := x<<regionShift+1000, y<<regionShift+1000
	return events.Area{Box: strokes.Box{X0: x0, Y0: y0, X1: x0 + 500, Y1: y0 + 500}, Known: true}
}

// A room subscribed to one region learns every sequence number from the heads: it waits for the events
// of its region, skips the others, and holds a gap for an event of its region whose payload is missing.
func TestHeadsSkipOtherRegions(t *testing.T) {
	_, r := interestRoom(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active[Channel{Kind: OneRegion, X: 0, Y: 0}] = true
	heads := []head{{1, inRegion(0, 0)}, {2, inRegion(5, 5)}, {3, inRegion(0, 0)}, {4, inRegion(-3, 0)}}
	r.acceptCommitted([]events.Event{areaEvent(1, inRegion(0, 0))}) // its payload came first
	r.acceptHeads(heads)
	if r.delivered != 2 || len(r.run) != 1 || r.run[0].Seq != 1 {
		t.Fatalf("after the heads: delivered %d, run %v; want 2 (3 missing) and seq 1 only", r.delivered, seqsOf(r.run))
	}
	r.acceptCommitted([]events.Event{areaEvent(3, inRegion(0, 0))}) // late, or from the database
	if r.delivered != 4 || !slices.Equal(seqsOf(r.run), []uint64{1, 3}) {
		t.Fatalf("after the late payload: delivered %d, run %v; want 4 and seqs 1, 3", r.delivered, seqsOf(r.run))
	}
	// Subscribed to every region: nothing is skipped.
	r.active[Channel{Kind: AllRegions}] = true
	r.acceptHeads([]head{{5, inRegion(9, 9)}})
	if r.delivered != 4 {
		t.Fatalf("a head of any region with all regions subscribed: delivered %d, want 4 (waiting for 5)", r.delivered)
	}
}

func seqsOf(evs []events.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

// What a replica publishes for committed events: each regional event on its regions' channels and the
// "all regions" one, then the heads of the regional events, and the others on the room's channel.
func TestPublishedChannels(t *testing.T) {
	h, _ := interestRoom(t)
	room := uuid.New()
	across := events.Area{Box: strokes.Box{X0: 1<<regionShift - 10, Y0: 5, X1: 1<<regionShift + 10, Y1: 6}, Known: true}
	huge := events.Area{Box: strokes.Box{X0: 0, Y0: 0, X1: 10 << regionShift, Y1: 10}, Known: true}
	h.publishCommitted(room, []events.Event{areaEvent(1, inRegion(0, 0)), areaEvent(2, across), event(3), areaEvent(4, huge)})
	type pub struct {
		ch   Channel
		seqs []uint64
	}
	var got []pub
	h.pub.mu.Lock()
	for _, o := range h.pub.queue {
		m, err := decodeBus(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		p := pub{ch: o.Channel, seqs: seqsOf(m.committed)}
		if hd := m.rest.GetHeads(); hd != nil {
			p.seqs = hd.GetSeqs()
		}
		got = append(got, p)
	}
	h.pub.mu.Unlock()
	r00, r10 := Channel{Kind: OneRegion}, Channel{Kind: OneRegion, X: 1}
	want := []pub{{r00, []uint64{1, 2}}, {Channel{Kind: AllRegions}, []uint64{1, 2}}, {r10, []uint64{2}},
		{Channel{}, []uint64{1, 2}}, {Channel{}, []uint64{3, 4}}}
	if !slices.EqualFunc(got, want, func(a, b pub) bool { return a.ch == b.ch && slices.Equal(a.seqs, b.seqs) }) {
		t.Fatalf("published %+v, want %+v", got, want)
	}
}

// A live item that reached the replica on two channels is relayed once; an older replica's unnumbered
// items always are.
func TestLiveItemsRelayedOnce(t *testing.T) {
	_, r := interestRoom(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	var relayed []uint64
	for _, seq := range []uint64{5, 6, 5, 7, 6, 0, 0} {
		if r.freshLive("b", seq) {
			relayed = append(relayed, seq)
		}
	}
	if !slices.Equal(relayed, []uint64{5, 6, 7, 0, 0}) {
		t.Fatalf("relayed %v", relayed)
	}
	if !r.freshLive("c", 1) {
		t.Fatal("another replica's numbering is its own")
	}
}
