package hub

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

func TestFlushDelay(t *testing.T) {
	const tick = 16 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		since   time.Duration // since the last flush
		backlog bool
		want    time.Duration
	}{
		{"quiet room, clients caught up", time.Second, false, 0},
		{"busy room, clients caught up: at once, no tick", 2 * time.Millisecond, false, 0},
		{"flushed just now, clients caught up: at once", 0, false, 0},
		{"busy room, a client behind: the rest of the tick", 2 * time.Millisecond, true, 14 * time.Millisecond},
		{"flushed just now, a client behind: a whole tick", 0, true, tick},
		{"a client behind, but a tick has passed: at once", tick, true, 0},
		{"a client behind, quiet for long: at once", time.Second, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flushDelay(t0.Add(tt.since), t0, tick, tt.backlog); got != tt.want {
				t.Errorf("flushDelay(%v since the last flush, backlog %t) = %v, want %v", tt.since, tt.backlog, got, tt.want)
			}
		})
	}
}

type quietReader struct{}

func (quietReader) EventsAfter(context.Context, uuid.UUID, uint64, events.Page) ([]events.Event, uint64, error) {
	return nil, 0, nil
}
func (quietReader) Head(context.Context, uuid.UUID) (uint64, error) { return 0, nil }

type quietBroker struct{}

func (quietBroker) Subscribe(context.Context, uuid.UUID, Channel) error        { return nil }
func (quietBroker) Unsubscribe(context.Context, uuid.UUID, Channel) error      { return nil }
func (quietBroker) Publish(context.Context, []Publication) error               { return nil }
func (quietBroker) AddPeer(context.Context, uuid.UUID, *realtimev1.Peer) error { return nil }
func (quietBroker) RemovePeer(context.Context, uuid.UUID, uint32) error        { return nil }
func (quietBroker) Peers(context.Context, uuid.UUID) ([]*realtimev1.Peer, error) {
	return nil, nil
}
func (quietBroker) CountViewer(context.Context, uuid.UUID, int) error { return nil }
func (quietBroker) Viewers(context.Context, uuid.UUID) (int, error)   { return 0, nil }

// TestRoomPacing checks what a room does with output that comes right after its last flush (the tick
// is an hour here, so nothing in these tests is sent by its timer). A room with an author and another
// client has flushed twice; each client took some of those two frames off its queue. A commit goes out at
// once unless a client still holds both (it is behind), then it waits for the tick. An ack goes to an
// author that is not behind at once either way, and waits with the rest for one that is.
func TestRoomPacing(t *testing.T) {
	ack := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: 1, Seq: 3}}}
	commit := func(h *Hub, author *Client) { h.Committed(map[uuid.UUID][]events.Event{author.Room: {event(3)}}) }
	reply := func(h *Hub, author *Client) { h.Reply(author, ack) }
	tests := []struct {
		name                      string
		authorQueued, otherQueued int // frames of the two flushes still on the client's queue
		then                      func(h *Hub, author *Client)
		wantAuthor, wantOther     bool // one more frame reaches the client at once
	}{
		{"all caught up: a commit goes out at once", 0, 0, commit, true, true},
		{"all caught up: an ack goes out at once", 0, 0, reply, true, false},
		{"the last frame not taken yet (a writer just woken): at once", 1, 1, commit, true, true},
		{"another client behind: a commit waits for the tick", 0, 2, commit, false, false},
		{"another client behind: the author's ack goes out at once", 1, 2, reply, true, false},
		{"the author behind: its ack waits for the tick", 2, 0, reply, false, false},
		{"the author behind: a commit waits for the tick", 2, 1, commit, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New("replica", quietReader{}, slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()), Options{
				Tick: time.Hour, GapWait: time.Hour, PageSize: 100, PageBytes: 1 << 20, WriteTimeout: time.Second, BrokerTimeout: time.Second,
				Publisher: PublisherOptions{QueueBytes: 1 << 20, Timeout: time.Second, Retry: time.Second}})
			h.SetBroker(quietBroker{})
			room := uuid.New()
			r, err := h.acquire(context.Background(), room)
			if err != nil {
				t.Fatal(err)
			}
			join := func() (*Client, chan struct{}) {
				woke := make(chan struct{}, 8)
				c := NewClient(Identity{Room: room}, 8, func() { woke <- struct{}{} })
				r.mu.Lock()
				c.room, c.live = r, true
				r.add(c, nil)
				r.mu.Unlock()
				return c, woke
			}
			author, authorWoke := join()
			other, otherWoke := join()

			// Two flushes in a row: the first because the room never flushed, the second because no
			// client holds more than the first frame.
			for seq := uint64(1); seq <= 2; seq++ {
				h.Committed(map[uuid.UUID][]events.Event{room: {event(seq)}})
				waitWake(t, authorWoke)
				waitWake(t, otherWoke)
			}
			for range 2 - tt.authorQueued {
				<-author.out
			}
			for range 2 - tt.otherQueued {
				<-other.out
			}
			tt.then(h, author)
			if tt.wantAuthor {
				waitWake(t, authorWoke)
			}
			if tt.wantOther {
				waitWake(t, otherWoke)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, c := range []struct {
				name   string
				c      *Client
				queued int
				got    bool
			}{{"author", author, tt.authorQueued, tt.wantAuthor}, {"other", other, tt.otherQueued, tt.wantOther}} {
				want := c.queued
				if c.got {
					want++
				}
				if len(c.c.out) != want {
					t.Errorf("%s: %d frames queued, want %d", c.name, len(c.c.out), want)
				}
			}
			if held := !tt.wantAuthor && !tt.wantOther; held != (r.scheduled && r.held) {
				t.Errorf("flush scheduled %t, held for the tick %t; want held %t", r.scheduled, r.held, held)
			}
		})
	}
}

func event(seq uint64) events.Event {
	return events.Event{Seq: seq, CommittedAtMs: time.Now().UnixMilli(), Encoded: []byte{8, byte(seq)}}
}

// waitWake waits for the room to queue a frame; the timeout only bounds a failing test.
func waitWake(t *testing.T, woke <-chan struct{}) {
	t.Helper()
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s: the room held its output for the tick")
	}
}
