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

func (quietBroker) Subscribe(context.Context, uuid.UUID) error                 { return nil }
func (quietBroker) Unsubscribe(context.Context, uuid.UUID) error               { return nil }
func (quietBroker) Publish(context.Context, []Publication) error               { return nil }
func (quietBroker) AddPeer(context.Context, uuid.UUID, *realtimev1.Peer) error { return nil }
func (quietBroker) RemovePeer(context.Context, uuid.UUID, uint32) error        { return nil }
func (quietBroker) Peers(context.Context, uuid.UUID) ([]*realtimev1.Peer, error) {
	return nil, nil
}

// TestRoomPacing checks what follows a flush within the same tick (the tick is an hour here, so
// nothing in these tests is sent by its timer). A room with an author and another client sends a commit
// at once while both took their first frame off their queues, and holds it for the tick while one did
// not. An ack goes to a caught-up author at once either way, and waits with the rest for an author that
// is behind.
func TestRoomPacing(t *testing.T) {
	ack := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: 1, Seq: 1}}}
	commit := func(h *Hub, author *Client) { h.Committed(map[uuid.UUID][]events.Event{author.Room: {event(2)}}) }
	reply := func(h *Hub, author *Client) { h.Reply(author, ack) }
	tests := []struct {
		name                      string
		authorBehind, otherBehind bool // the client did not take the first frame off its queue
		second                    func(h *Hub, author *Client)
		wantAuthor, wantOther     bool // a second frame reaches the client at once
	}{
		{"all caught up: a commit goes out at once", false, false, commit, true, true},
		{"all caught up: an ack goes out at once", false, false, reply, true, false},
		{"another client behind: a commit waits for the tick", false, true, commit, false, false},
		{"another client behind: the author's ack goes out at once", false, true, reply, true, false},
		{"the author behind: its ack waits for the tick", true, false, reply, false, false},
		{"the author behind: a commit waits for the tick", true, false, commit, false, false},
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
				r.clients[c] = struct{}{}
				r.mu.Unlock()
				return c, woke
			}
			author, authorWoke := join()
			other, otherWoke := join()

			h.Committed(map[uuid.UUID][]events.Event{room: {event(1)}})
			waitWake(t, authorWoke) // the room had never flushed: the first event goes out at once
			waitWake(t, otherWoke)
			if !tt.authorBehind {
				<-author.out
			}
			if !tt.otherBehind {
				<-other.out
			}
			tt.second(h, author)
			if tt.wantAuthor {
				waitWake(t, authorWoke)
			}
			if tt.wantOther {
				waitWake(t, otherWoke)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, c := range []struct {
				name        string
				c           *Client
				behind, got bool
			}{{"author", author, tt.authorBehind, tt.wantAuthor}, {"other", other, tt.otherBehind, tt.wantOther}} {
				want := 0
				if c.behind {
					want++
				}
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
